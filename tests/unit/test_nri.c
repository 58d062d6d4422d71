/* SPDX-License-Identifier: Apache-2.0 */
/* nri/: the multiplexer's frames, ttrpc's messages and envelopes, NRI's
 * messages on the wire, and a plugin's connection against a fake runtime
 * over a socketpair. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "nri/conn.h"
#include "nri/mux.h"
#include "nri/pb.h"
#include "nri/ttrpc.h"
#include "plugin/plugin.h"
#include "tests/unit/unit.h"

/* A growable byte buffer. */
typedef struct bytes {
	uint8_t *p;
	size_t len, cap;
} bytes_t;

static void put(bytes_t *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

/* ---- the multiplexer ---- */

/* Decode all of in, fed piece bytes at a time; the payload of every chunk
 * is appended to out[conn - 1], and frame ends are counted. */
static int mux_decode_all(const uint8_t *in, size_t len, size_t piece, bytes_t out[2],
			  int *frames, nh_error_t *err)
{
	nri_mux_dec_t d;

	nri_mux_dec_init(&d);
	*frames = 0;
	for (size_t off = 0; off < len;) {
		size_t n = len - off < piece ? len - off : piece;
		const uint8_t *p = in + off;

		off += n;
		while (n > 0 || false) {
			nri_mux_chunk_t c;
			bool have;
			size_t used;

			if (nri_mux_decode(&d, p, n, &used, &c, &have, err) < 0)
				return -1;
			p += used;
			n -= used;
			if (have) {
				put(&out[c.conn - 1], c.data, c.len);
				*frames += c.frame_end;
			}
			if (used == 0 && !have)
				break;
		}
	}
	return nri_mux_dec_idle(&d) ? 0 : 1;
}

static void mux_round_trip(void **state)
{
	static const size_t pieces[] = { 1, 2, 7, 8, 9, 4095, 4096, 100000 };
	_cleanup_free_ uint8_t *data = malloc(10000);
	bytes_t wire = { 0 };

	for (size_t i = 0; i < 10000; i++)
		data[i] = (uint8_t)(i * 7);
	/* 10000 bytes on the plugin conn, an empty frame, 5 on the runtime conn */
	uint8_t *f;
	size_t flen;
	nh_error_t err = { 0 };

	assert_int_equal(nri_mux_encode(NRI_CONN_PLUGIN, data, 10000, &f, &flen, &err), 0);
	assert_int_equal(flen, 10000 + 3 * NRI_MUX_HEADER_LEN); /* 4096 + 4096 + 1808 */
	put(&wire, f, flen);
	free(f);
	assert_int_equal(nri_mux_encode(NRI_CONN_RUNTIME, NULL, 0, &f, &flen, &err), 0);
	assert_int_equal(flen, NRI_MUX_HEADER_LEN);
	put(&wire, f, flen);
	free(f);
	assert_int_equal(nri_mux_encode(NRI_CONN_RUNTIME, (const uint8_t *)"hello", 5, &f, &flen,
					&err),
			 0);
	put(&wire, f, flen);
	free(f);
	/* Byte order: big-endian conn id, then length. */
	static const uint8_t first[8] = { 0, 0, 0, 1, 0, 0, 0x10, 0 };
	assert_memory_equal(wire.p, first, 8);

	for (size_t i = 0; i < NH_ARRAY_SIZE(pieces); i++) {
		bytes_t out[2] = { { 0 }, { 0 } };
		int frames;

		assert_int_equal(mux_decode_all(wire.p, wire.len, pieces[i], out, &frames, &err),
				 0);
		UT_EXPECT_NO_ERROR(&err);
		assert_int_equal(frames, 5);
		assert_int_equal(out[0].len, 10000);
		assert_memory_equal(out[0].p, data, 10000);
		assert_int_equal(out[1].len, 5);
		assert_memory_equal(out[1].p, "hello", 5);
		free(out[0].p);
		free(out[1].p);
	}
	/* Cut anywhere inside: not idle. */
	bytes_t out[2] = { { 0 }, { 0 } };
	int frames;
	assert_int_equal(mux_decode_all(wire.p, 13, 3, out, &frames, &err), 1);
	free(out[0].p);
	free(out[1].p);
	free(wire.p);
}

struct mux_bad {
	const char *name;
	uint8_t hdr[8];
	const char *why; /* NULL: accepted */
};

static const struct mux_bad mux_bad_cases[] = {
	{ "conn 0 (reserved)", { 0, 0, 0, 0, 0, 0, 0, 1 }, "for connection 0, not 1" },
	{ "conn 3", { 0, 0, 0, 3, 0, 0, 0, 1 }, "for connection 3" },
	{ "conn 0x01000001", { 1, 0, 0, 1, 0, 0, 0, 1 }, "for connection 16777217" },
	{ "payload 16 MiB + 1", { 0, 0, 0, 1, 1, 0, 0, 1 }, "announces 16777217 payload bytes" },
	{ "payload 4 GiB - 1", { 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff }, "more than the multiplexer's" },
	{ "payload 16 MiB", { 0, 0, 0, 2, 1, 0, 0, 0 }, NULL },
	{ "payload 0", { 0, 0, 0, 2, 0, 0, 0, 0 }, NULL },
};

static void mux_check_header(void **state)
{
	const struct mux_bad *c = *state;
	nri_mux_dec_t d;
	nri_mux_chunk_t chunk;
	bool have;
	size_t used;
	nh_error_t err = { 0 };
	int r;

	nri_mux_dec_init(&d);
	r = nri_mux_decode(&d, c->hdr, 8, &used, &chunk, &have, &err);
	if (c->why) {
		assert_int_equal(r, -1);
		UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, c->why, "NRI connection: frame at byte 0");
	} else {
		assert_int_equal(r, 0);
		UT_EXPECT_NO_ERROR(&err);
		assert_int_equal(used, 8);
	}
}

/* ---- ttrpc ---- */

struct ttrpc_bad {
	const char *name;
	uint8_t hdr[10];
	const char *why;
};

static const struct ttrpc_bad ttrpc_bad_cases[] = {
	{ "type 0", { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 }, "unknown type 0x00 on stream 1" },
	{ "type 7", { 0, 0, 0, 0, 0, 0, 0, 1, 7, 0 }, "unknown type 0x07" },
	{ "type 0xff", { 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0 }, "unknown type 0xff" },
	{ "data (streaming)", { 0, 0, 0, 0, 0, 0, 0, 1, 3, 1 }, "streaming calls are not supported" },
	{ "length 4 MiB + 1", { 0, 0x40, 0, 1, 0, 0, 0, 1, 1, 0 }, "announces 4194305 bytes" },
	{ "length 4 GiB - 1", { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 2, 0 }, "maximum of 4194304" },
	{ "stream 0", { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, "request on stream 0" },
};

static void ttrpc_check_bad_header(void **state)
{
	const struct ttrpc_bad *c = *state;
	nri_ttrpc_header_t h;
	nh_error_t err = { 0 };

	assert_int_equal(nri_ttrpc_header_decode(c->hdr, &h, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, c->why, "ttrpc: ");
}

static void ttrpc_header_round_trip(void **state)
{
	nri_ttrpc_header_t h = { .length = 4u << 20, .stream_id = 0x01020305, .type = 2, .flags = 0 };
	nri_ttrpc_header_t back;
	static const uint8_t want[10] = { 0, 0x40, 0, 0, 1, 2, 3, 5, 2, 0 };
	uint8_t buf[10];
	nh_error_t err = { 0 };

	nri_ttrpc_header_encode(buf, &h);
	assert_memory_equal(buf, want, 10);
	assert_int_equal(nri_ttrpc_header_decode(buf, &back, &err), 0);
	assert_int_equal(back.length, h.length);
	assert_int_equal(back.stream_id, h.stream_id);
	assert_int_equal(back.type, 2);
}

static void ttrpc_decoder_split(void **state)
{
	bytes_t wire = { 0 };
	uint8_t *m;
	size_t mlen;
	nh_error_t err = { 0 };
	nri_ttrpc_header_t h1 = { .length = 3, .stream_id = 1, .type = 1 };
	nri_ttrpc_header_t h2 = { .length = 0, .stream_id = 3, .type = 1 };

	assert_int_equal(nri_ttrpc_encode(&h1, (const uint8_t *)"abc", &m, &mlen, &err), 0);
	put(&wire, m, mlen);
	free(m);
	assert_int_equal(nri_ttrpc_encode(&h2, NULL, &m, &mlen, &err), 0);
	put(&wire, m, mlen);
	free(m);
	for (size_t piece = 1; piece <= wire.len; piece++) {
		nri_ttrpc_dec_t d;
		int got = 0;

		nri_ttrpc_dec_init(&d);
		for (size_t off = 0; off < wire.len;) {
			size_t n = wire.len - off < piece ? wire.len - off : piece, used;
			nri_ttrpc_msg_t msg;
			bool complete;

			/* Call until this piece is used up. */
			const uint8_t *p = wire.p + off;
			off += n;
			while (n > 0) {
				assert_int_equal(nri_ttrpc_decode(&d, p, n, &used, &msg, &complete,
								  &err),
						 0);
				p += used;
				n -= used;
				if (complete) {
					got++;
					if (got == 1) {
						assert_int_equal(msg.len, 3);
						assert_memory_equal(msg.data, "abc", 3);
						assert_int_equal(msg.h.stream_id, 1);
					} else {
						assert_int_equal(msg.len, 0);
						assert_int_equal(msg.h.stream_id, 3);
					}
				}
			}
		}
		assert_int_equal(got, 2);
		assert_true(nri_ttrpc_dec_idle(&d));
		nri_ttrpc_dec_free(&d);
	}
	free(wire.p);
}

static void ttrpc_envelopes(void **state)
{
	nri_pb_t pb;
	uint8_t *buf;
	size_t len;
	Ttrpc__Request *req;
	Ttrpc__Response *rsp;
	nh_error_t err = { 0 };

	nri_pb_init(&pb, NRI_PB_BUDGET_DEFAULT);
	assert_int_equal(nri_ttrpc_request_pack(NRI_SERVICE_PLUGIN, "Configure",
						(const uint8_t *)"\x0a\x01x", 3, 2000000000, &buf,
						&len, &err),
			 0);
	/* Field 1 service, first on the wire. */
	assert_int_equal(buf[0], 0x0a);
	assert_int_equal(buf[1], strlen(NRI_SERVICE_PLUGIN));
	assert_int_equal(nri_ttrpc_request_unpack(&pb, buf, len, &req, &err), 0);
	free(buf);
	assert_string_equal(req->service, "nri.pkg.api.v1alpha1.Plugin");
	assert_string_equal(req->method, "Configure");
	assert_int_equal(req->payload.len, 3);
	assert_int_equal(req->timeout_nano, 2000000000);
	nri_pb_free(&pb, req);

	assert_int_equal(nri_ttrpc_response_pack(12, "method Nope", NULL, 0, &buf, &len, &err), 0);
	/* Response{status(1){code(1)=12, message(2)="method Nope"}} */
	static const uint8_t want[] = { 0x0a, 15, 0x08, 12, 0x12, 11, 'm', 'e', 't', 'h', 'o', 'd',
					' ', 'N', 'o', 'p', 'e' };
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(nri_ttrpc_response_unpack(&pb, buf, len, &rsp, &err), 0);
	free(buf);
	assert_int_equal(rsp->status->code, 12);
	assert_string_equal(rsp->status->message, "method Nope");
	nri_pb_free(&pb, rsp);

	/* No service; then not protobuf at all. */
	assert_int_equal(nri_ttrpc_request_pack("", "Configure", NULL, 0, 0, &buf, &len, &err), 0);
	assert_int_equal(nri_ttrpc_request_unpack(&pb, buf, len, &req, &err), -1);
	free(buf);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "ttrpc request names no service");
	nh_error_clear(&err);
	assert_int_equal(nri_ttrpc_request_unpack(&pb, (const uint8_t *)"\x0a\xff\xff", 3, &req,
						  &err),
			 -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "ttrpc request: malformed ttrpc.Request message (3 bytes)");
	assert_int_equal(pb.used, 0);
}

/* ---- NRI's messages ---- */

static Nri__PodSandbox__AnnotationsEntry pod_ann = { PROTOBUF_C_MESSAGE_INIT(
							     &nri__pod_sandbox__annotations_entry__descriptor),
						     "oci-numa-hook/nodes", "1" };
static Nri__PodSandbox__AnnotationsEntry *pod_anns[] = { &pod_ann };

static void fill_create(Nri__CreateContainerRequest *req, Nri__PodSandbox *pod, Nri__Container *ctr,
			Nri__LinuxContainer *lc, Nri__LinuxResources *res, Nri__LinuxCPU *cpu)
{
	nri__create_container_request__init(req);
	nri__pod_sandbox__init(pod);
	nri__container__init(ctr);
	nri__linux_container__init(lc);
	nri__linux_resources__init(res);
	nri__linux_cpu__init(cpu);
	pod->id = "pod-1";
	pod->name = "web";
	pod->namespace_ = "default";
	pod->uid = "u-1";
	pod->n_annotations = 1;
	pod->annotations = pod_anns;
	ctr->id = "ctr-1";
	ctr->pod_sandbox_id = "pod-1";
	ctr->name = "app";
	ctr->pid = 4242;
	ctr->linux = lc;
	lc->resources = res;
	lc->cgroups_path = "kubepods-pod1.slice:cri-containerd:ctr-1";
	res->cpu = cpu;
	cpu->cpus = "0-3";
	cpu->mems = "0-1";
	req->pod = pod;
	req->container = ctr;
}

static void pb_create_container_round_trip(void **state)
{
	Nri__CreateContainerRequest req, *back;
	Nri__PodSandbox pod;
	Nri__Container ctr;
	Nri__LinuxContainer lc;
	Nri__LinuxResources res;
	Nri__LinuxCPU cpu;
	nri_pb_t pb;
	uint8_t *buf;
	size_t len;
	nh_error_t err = { 0 };

	fill_create(&req, &pod, &ctr, &lc, &res, &cpu);
	nri_pb_init(&pb, NRI_PB_BUDGET_DEFAULT);
	assert_int_equal(nri_pb_pack(&req, &buf, &len, &err), 0);
	assert_int_equal(nri_pb_unpack(&pb, &nri__create_container_request__descriptor, buf, len,
				       &back, &err),
			 0);
	assert_string_equal(back->pod->id, "pod-1");
	assert_string_equal(back->pod->name, "web");
	assert_string_equal(back->pod->namespace_, "default");
	assert_string_equal(back->pod->uid, "u-1");
	assert_int_equal(back->pod->n_annotations, 1);
	assert_string_equal(back->pod->annotations[0]->key, "oci-numa-hook/nodes");
	assert_string_equal(back->pod->annotations[0]->value, "1");
	assert_string_equal(back->container->id, "ctr-1");
	assert_string_equal(back->container->pod_sandbox_id, "pod-1");
	assert_int_equal(back->container->pid, 4242);
	assert_string_equal(back->container->linux->resources->cpu->mems, "0-1");
	assert_string_equal(back->container->linux->resources->cpu->cpus, "0-3");
	assert_string_equal(back->container->linux->cgroups_path,
			    "kubepods-pod1.slice:cri-containerd:ctr-1");
	assert_int_equal(back->container->n_annotations, 0);
	nri_pb_free(&pb, back);
	assert_int_equal(pb.used, 0);

	/* The same bytes with a budget too small. */
	nri_pb_init(&pb, 256);
	assert_int_equal(nri_pb_unpack(&pb, &nri__create_container_request__descriptor, buf, len,
				       &back, &err),
			 -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_SYSTEM, "nri.CreateContainerRequest message of",
			"needs more than the 0 MiB allowed");
	assert_int_equal(pb.used, 0);
	free(buf);
}

/* The field numbers, byte by byte, as upstream's api.proto numbers them. */
static void pb_wire_numbers(void **state)
{
	Nri__ContainerAdjustment adj = NRI__CONTAINER_ADJUSTMENT__INIT;
	Nri__LinuxContainerAdjustment la = NRI__LINUX_CONTAINER_ADJUSTMENT__INIT;
	Nri__LinuxResources res = NRI__LINUX_RESOURCES__INIT;
	Nri__LinuxCPU cpu = NRI__LINUX_CPU__INIT;
	Nri__ConfigureResponse cfg = NRI__CONFIGURE_RESPONSE__INIT;
	Nri__RegisterPluginRequest reg = NRI__REGISTER_PLUGIN_REQUEST__INIT;
	uint8_t *buf;
	size_t len;
	nh_error_t err = { 0 };

	/* adjust.linux(6).resources(2).cpu(2).mems(7) = "1" */
	cpu.mems = "1";
	res.cpu = &cpu;
	la.resources = &res;
	adj.linux = &la;
	assert_int_equal(nri_pb_pack(&adj, &buf, &len, &err), 0);
	static const uint8_t want_adj[] = { 0x32, 7, 0x12, 5, 0x12, 3, 0x3a, 1, '1' };
	assert_int_equal(len, sizeof(want_adj));
	assert_memory_equal(buf, want_adj, len);
	free(buf);

	/* events(2) = CREATE_CONTAINER | START_CONTAINER bits */
	cfg.events = NRI_EVENT_BIT(NRI__EVENT__CREATE_CONTAINER) |
		     NRI_EVENT_BIT(NRI__EVENT__START_CONTAINER);
	assert_int_equal(cfg.events, 0x28);
	assert_int_equal(nri_pb_pack(&cfg, &buf, &len, &err), 0);
	static const uint8_t want_cfg[] = { 0x10, 0x28 };
	assert_int_equal(len, 2);
	assert_memory_equal(buf, want_cfg, 2);
	free(buf);

	reg.plugin_name = "numa";
	reg.plugin_idx = "90";
	assert_int_equal(nri_pb_pack(&reg, &buf, &len, &err), 0);
	static const uint8_t want_reg[] = { 0x0a, 4, 'n', 'u', 'm', 'a', 0x12, 2, '9', '0' };
	assert_int_equal(len, sizeof(want_reg));
	assert_memory_equal(buf, want_reg, len);
	free(buf);
}

/* ---- a plugin against a fake runtime ---- */

struct fake_plugin {
	int configured, created, state_changes, errors;
	char runtime_name[64];
	char last_error[NH_ERROR_MSG_MAX + 64];
	bool fail_create;
	bool huge_reply;
};

static int fp_configure(void *ctx, nri_call_t *call, const Nri__ConfigureRequest *req,
			Nri__ConfigureResponse *rsp, nh_error_t *err)
{
	struct fake_plugin *fp = ctx;

	fp->configured++;
	snprintf(fp->runtime_name, sizeof(fp->runtime_name), "%s", req->runtime_name);
	rsp->events = NRI_EVENT_BIT(NRI__EVENT__CREATE_CONTAINER) |
		      NRI_EVENT_BIT(NRI__EVENT__START_CONTAINER);
	return 0;
}

static int fp_create(void *ctx, nri_call_t *call, const Nri__CreateContainerRequest *req,
		     Nri__CreateContainerResponse *rsp, nh_error_t *err)
{
	struct fake_plugin *fp = ctx;
	Nri__ContainerAdjustment *adj;
	Nri__LinuxContainerAdjustment *la;
	Nri__LinuxResources *res;
	Nri__LinuxCPU *cpu;

	fp->created++;
	if (fp->huge_reply) {
		/* 5 MiB of node list: more than ttrpc carries. */
		char *big = nri_call_alloc(call, 5u << 20);

		assert_non_null(big);
		memset(big, '1', (5u << 20) - 1);
		rsp->adjust = nri_call_alloc(call, sizeof(*rsp->adjust));
		nri__container_adjustment__init(rsp->adjust);
		rsp->adjust->linux = nri_call_alloc(call, sizeof(*rsp->adjust->linux));
		nri__linux_container_adjustment__init(rsp->adjust->linux);
		rsp->adjust->linux->resources = nri_call_alloc(call, sizeof(Nri__LinuxResources));
		nri__linux_resources__init(rsp->adjust->linux->resources);
		rsp->adjust->linux->resources->cpu = nri_call_alloc(call, sizeof(Nri__LinuxCPU));
		nri__linux_cpu__init(rsp->adjust->linux->resources->cpu);
		rsp->adjust->linux->resources->cpu->mems = big;
		return 0;
	}
	if (fp->fail_create)
		return nh_fail(err, NH_EXIT_INVALID, 0, "container %s: node 7 is offline",
			       req->container->id);
	adj = nri_call_alloc(call, sizeof(*adj));
	la = nri_call_alloc(call, sizeof(*la));
	res = nri_call_alloc(call, sizeof(*res));
	cpu = nri_call_alloc(call, sizeof(*cpu));
	assert_true(adj && la && res && cpu);
	nri__container_adjustment__init(adj);
	nri__linux_container_adjustment__init(la);
	nri__linux_resources__init(res);
	nri__linux_cpu__init(cpu);
	cpu->mems = nri_call_strdup(call, req->pod->annotations[0]->value);
	res->cpu = cpu;
	la->resources = res;
	adj->linux = la;
	rsp->adjust = adj;
	return 0;
}

static int fp_state_change(void *ctx, nri_call_t *call, const Nri__StateChangeEvent *evt,
			   nh_error_t *err)
{
	struct fake_plugin *fp = ctx;

	fp->state_changes++;
	assert_int_equal(evt->event, NRI__EVENT__START_CONTAINER);
	return 0;
}

static void fp_on_error(void *ctx, const char *method, const nh_error_t *err)
{
	struct fake_plugin *fp = ctx;

	fp->errors++;
	snprintf(fp->last_error, sizeof(fp->last_error), "%s: %s", method, err->msg);
}

static const nri_plugin_ops_t fp_ops = {
	.configure = fp_configure,
	.create_container = fp_create,
	.state_change = fp_state_change,
	.on_error = fp_on_error,
};

/* One ttrpc message from the runtime, as frames of at most piece bytes
 * (the multiplexer may cut a message anywhere). */
static void rt_message(bytes_t *out, uint32_t conn, uint32_t stream, uint8_t type,
		       const uint8_t *env, size_t env_len, size_t piece)
{
	nri_ttrpc_header_t h = { .length = (uint32_t)env_len, .stream_id = stream, .type = type };
	uint8_t *m;
	size_t mlen;
	nh_error_t err = { 0 };

	assert_int_equal(nri_ttrpc_encode(&h, env, &m, &mlen, &err), 0);
	for (size_t off = 0; off < mlen; off += piece) {
		size_t n = mlen - off < piece ? mlen - off : piece;
		uint8_t hdr[NRI_MUX_HEADER_LEN];

		nri_mux_encode_header(hdr, conn, (uint32_t)n);
		put(out, hdr, sizeof(hdr));
		put(out, m + off, n);
	}
	free(m);
}

static void rt_request(bytes_t *out, uint32_t stream, const char *method, const void *msg,
		       size_t piece)
{
	uint8_t *payload, *env;
	size_t plen, elen;
	nh_error_t err = { 0 };

	assert_int_equal(nri_pb_pack(msg, &payload, &plen, &err), 0);
	assert_int_equal(nri_ttrpc_request_pack(NRI_SERVICE_PLUGIN, method, payload, plen,
						2000000000, &env, &elen, &err),
			 0);
	rt_message(out, NRI_CONN_PLUGIN, stream, NRI_TTRPC_REQUEST, env, elen, piece);
	free(payload);
	free(env);
}

static void rt_reply(bytes_t *out, uint32_t stream, int32_t code, const char *message,
		     size_t piece)
{
	uint8_t *env;
	size_t elen;
	nh_error_t err = { 0 };

	assert_int_equal(nri_ttrpc_response_pack(code, message, NULL, 0, &env, &elen, &err), 0);
	rt_message(out, NRI_CONN_RUNTIME, stream, NRI_TTRPC_RESPONSE, env, elen, piece);
	free(env);
}

/* What the plugin wrote: the messages, in order. */
struct seen {
	uint32_t conn, stream;
	uint8_t type;
	uint8_t *data;
	size_t len;
};

static size_t read_plugin_side(int fd, struct seen *seen, size_t max)
{
	uint8_t buf[65536];
	ssize_t n;
	nri_mux_dec_t mux;
	nri_ttrpc_dec_t dec[2];
	size_t count = 0;
	nh_error_t err = { 0 };

	nri_mux_dec_init(&mux);
	nri_ttrpc_dec_init(&dec[0]);
	nri_ttrpc_dec_init(&dec[1]);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		const uint8_t *p = buf;
		size_t left = (size_t)n;

		while (left > 0) {
			nri_mux_chunk_t c;
			bool have;
			size_t used;

			assert_int_equal(nri_mux_decode(&mux, p, left, &used, &c, &have, &err), 0);
			p += used;
			left -= used;
			/* Every frame we send is at most NRI_MUX_SEND_MAX. */
			assert_true(!have || c.len <= NRI_MUX_SEND_MAX);
			while (have && c.len > 0) {
				nri_ttrpc_msg_t msg;
				bool complete;

				assert_int_equal(nri_ttrpc_decode(&dec[c.conn - 1], c.data, c.len,
								  &used, &msg, &complete, &err),
						 0);
				c.data += used;
				c.len -= used;
				if (complete) {
					assert_true(count < max);
					seen[count].conn = c.conn;
					seen[count].stream = msg.h.stream_id;
					seen[count].type = msg.h.type;
					seen[count].data = malloc(msg.len + 1);
					memcpy(seen[count].data, msg.data, msg.len);
					seen[count].len = msg.len;
					count++;
				}
			}
		}
	}
	assert_true(nri_mux_dec_idle(&mux));
	nri_ttrpc_dec_free(&dec[0]);
	nri_ttrpc_dec_free(&dec[1]);
	return count;
}

static Ttrpc__Response *seen_response(nri_pb_t *pb, const struct seen *s, uint32_t stream)
{
	Ttrpc__Response *rsp;
	nh_error_t err = { 0 };

	assert_int_equal(s->conn, NRI_CONN_PLUGIN);
	assert_int_equal(s->type, NRI_TTRPC_RESPONSE);
	assert_int_equal(s->stream, stream);
	assert_int_equal(nri_ttrpc_response_unpack(pb, s->data, s->len, &rsp, &err), 0);
	return rsp;
}

static void e2e_register_configure_create(void **state)
{
	size_t piece = (size_t)(uintptr_t)*state;
	int sv[2];
	bytes_t rt = { 0 };
	struct fake_plugin fp = { 0 };
	nh_error_t err = { 0 };
	Nri__ConfigureRequest cfg = NRI__CONFIGURE_REQUEST__INIT;
	Nri__CreateContainerRequest create;
	Nri__PodSandbox pod;
	Nri__Container ctr;
	Nri__LinuxContainer lc;
	Nri__LinuxResources res;
	Nri__LinuxCPU cpu;
	Nri__StateChangeEvent evt = NRI__STATE_CHANGE_EVENT__INIT;
	Nri__Empty empty = NRI__EMPTY__INIT;
	nri_conn_t *c;
	struct seen seen[16];
	size_t n;
	nri_pb_t pb;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* The runtime: Configure goes out before RegisterPlugin's reply (its
	 * handler lets it), then CreateContainer, an unknown method, StartContainer
	 * and Shutdown. */
	cfg.runtime_name = "containerd";
	cfg.runtime_version = "1.7.24";
	rt_request(&rt, 1, "Configure", &cfg, piece);
	rt_reply(&rt, 1, 0, NULL, piece);
	fill_create(&create, &pod, &ctr, &lc, &res, &cpu);
	rt_request(&rt, 3, "CreateContainer", &create, piece);
	rt_request(&rt, 5, "Frobnicate", &empty, piece);
	evt.event = NRI__EVENT__START_CONTAINER;
	evt.pod = &pod;
	evt.container = &ctr;
	rt_request(&rt, 7, "StateChange", &evt, piece);
	rt_request(&rt, 9, "Shutdown", &empty, piece);
	assert_int_equal(write(sv[1], rt.p, rt.len), (ssize_t)rt.len);
	free(rt.p);

	c = nri_conn_new(sv[0], &fp_ops, &fp, &err);
	assert_non_null(c);
	assert_int_equal(nri_conn_register(c, "numa", "90", 5000, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(fp.configured, 1);
	assert_string_equal(fp.runtime_name, "containerd");
	/* The rest, until Shutdown. */
	assert_int_equal(nri_conn_run(c, &err), 0);
	UT_EXPECT_NO_ERROR(&err);
	assert_int_equal(fp.created, 1);
	assert_int_equal(fp.state_changes, 1);
	assert_int_equal(fp.errors, 1);
	assert_string_equal(fp.last_error, ": method Frobnicate");
	nri_conn_free(c);

	n = read_plugin_side(sv[1], seen, NH_ARRAY_SIZE(seen));
	close(sv[1]);
	assert_int_equal(n, 6);
	nri_pb_init(&pb, NRI_PB_BUDGET_DEFAULT);

	/* 1: RegisterPlugin on the runtime service, stream 1. */
	Ttrpc__Request *req;
	Nri__RegisterPluginRequest *reg;
	assert_int_equal(seen[0].conn, NRI_CONN_RUNTIME);
	assert_int_equal(seen[0].type, NRI_TTRPC_REQUEST);
	assert_int_equal(seen[0].stream, 1);
	assert_int_equal(nri_ttrpc_request_unpack(&pb, seen[0].data, seen[0].len, &req, &err), 0);
	assert_string_equal(req->service, "nri.pkg.api.v1alpha1.Runtime");
	assert_string_equal(req->method, "RegisterPlugin");
	assert_int_equal(req->timeout_nano, 5000000000LL);
	assert_int_equal(nri_pb_unpack(&pb, &nri__register_plugin_request__descriptor,
				       req->payload.data, req->payload.len, &reg, &err),
			 0);
	assert_string_equal(reg->plugin_name, "numa");
	assert_string_equal(reg->plugin_idx, "90");
	nri_pb_free(&pb, reg);
	nri_pb_free(&pb, req);

	/* 2: Configure's answer: the events. */
	Ttrpc__Response *rsp = seen_response(&pb, &seen[1], 1);
	Nri__ConfigureResponse *cr;
	assert_int_equal(rsp->status->code, 0);
	assert_int_equal(nri_pb_unpack(&pb, &nri__configure_response__descriptor,
				       rsp->payload.data, rsp->payload.len, &cr, &err),
			 0);
	assert_int_equal(cr->events, 0x28);
	nri_pb_free(&pb, cr);
	nri_pb_free(&pb, rsp);

	/* 3: CreateContainer's: adjust.linux.resources.cpu.mems from the annotation. */
	Nri__CreateContainerResponse *ccr;
	rsp = seen_response(&pb, &seen[2], 3);
	assert_int_equal(rsp->status->code, 0);
	assert_int_equal(nri_pb_unpack(&pb, &nri__create_container_response__descriptor,
				       rsp->payload.data, rsp->payload.len, &ccr, &err),
			 0);
	assert_non_null(ccr->adjust);
	assert_string_equal(ccr->adjust->linux->resources->cpu->mems, "1");
	assert_string_equal(ccr->adjust->linux->resources->cpu->cpus, "");
	assert_int_equal(ccr->n_update, 0);
	nri_pb_free(&pb, ccr);
	nri_pb_free(&pb, rsp);

	/* 4: the unknown method, as ttrpc answers it. */
	rsp = seen_response(&pb, &seen[3], 5);
	assert_int_equal(rsp->status->code, NRI_RPC_UNIMPLEMENTED);
	assert_string_equal(rsp->status->message, "method Frobnicate");
	nri_pb_free(&pb, rsp);
	/* 5, 6: StateChange and Shutdown, empty answers. */
	rsp = seen_response(&pb, &seen[4], 7);
	assert_int_equal(rsp->status->code, 0);
	assert_int_equal(rsp->payload.len, 0);
	nri_pb_free(&pb, rsp);
	rsp = seen_response(&pb, &seen[5], 9);
	assert_int_equal(rsp->status->code, 0);
	nri_pb_free(&pb, rsp);
	assert_int_equal(pb.used, 0);
	for (size_t i = 0; i < n; i++)
		free(seen[i].data);
}

/* The plugin's handler fails: the runtime gets code UNKNOWN and the text;
 * or its reply is too large for ttrpc: RESOURCE_EXHAUSTED. */
static void e2e_handler_error(void **state)
{
	bool huge = *state != NULL;
	int sv[2];
	bytes_t rt = { 0 };
	struct fake_plugin fp = { .fail_create = !huge, .huge_reply = huge };
	nh_error_t err = { 0 };
	Nri__CreateContainerRequest create;
	Nri__PodSandbox pod;
	Nri__Container ctr;
	Nri__LinuxContainer lc;
	Nri__LinuxResources res;
	Nri__LinuxCPU cpu;
	struct seen seen[4];
	nri_pb_t pb;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fill_create(&create, &pod, &ctr, &lc, &res, &cpu);
	rt_request(&rt, 1, "CreateContainer", &create, 4096);
	assert_int_equal(write(sv[1], rt.p, rt.len), (ssize_t)rt.len);
	free(rt.p);
	shutdown(sv[1], SHUT_WR);
	nri_conn_t *c = nri_conn_new(sv[0], &fp_ops, &fp, &err);
	assert_int_equal(nri_conn_run(c, &err), 0);
	nri_conn_free(c);
	assert_int_equal(fp.errors, 1);
	const char *why = huge ? "CreateContainer: a reply of 5242904 bytes is over ttrpc's "
				 "maximum of 4194304"
			       : "container ctr-1: node 7 is offline";
	UT_EXPECT_CONTAINS(fp.last_error, why);
	assert_int_equal(read_plugin_side(sv[1], seen, 4), 1);
	close(sv[1]);
	nri_pb_init(&pb, NRI_PB_BUDGET_DEFAULT);
	Ttrpc__Response *rsp = seen_response(&pb, &seen[0], 1);
	assert_int_equal(rsp->status->code, huge ? NRI_RPC_RESOURCE_EXHAUSTED : NRI_RPC_UNKNOWN);
	assert_string_equal(rsp->status->message, why);
	assert_int_equal(rsp->payload.len, 0);
	nri_pb_free(&pb, rsp);
	free(seen[0].data);
}

/* The runtime refuses the registration. */
static void e2e_register_refused(void **state)
{
	int sv[2];
	bytes_t rt = { 0 };
	nh_error_t err = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	rt_reply(&rt, 1, 3, "invalid plugin index: \x1b[31m", 4096);
	assert_int_equal(write(sv[1], rt.p, rt.len), (ssize_t)rt.len);
	free(rt.p);
	nri_conn_t *c = nri_conn_new(sv[0], NULL, NULL, &err);
	assert_int_equal(nri_conn_register(c, "numa", "90", 5000, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID,
			"NRI RegisterPlugin: the runtime refused it (code 3): invalid plugin index: "
			"\\x1b[31m");
	nri_conn_free(c);
	close(sv[1]);
}

/* Bytes from the runtime that end the connection with one error line. */
struct e2e_bad {
	const char *name;
	int kind;
	const char *why;
};

enum { BAD_CLOSE_MID, BAD_REQ_ON_RUNTIME, BAD_RSP_ON_PLUGIN, BAD_RSP_UNASKED, BAD_CONN_7,
       BAD_TYPE_9, BAD_TIMEOUT, BAD_EOF_BEFORE_ANSWER };

static const struct e2e_bad e2e_bad_cases[] = {
	{ "closed inside a message", BAD_CLOSE_MID, "closed it in the middle of a message" },
	{ "request on the runtime service", BAD_REQ_ON_RUNTIME,
	  "sent a request on the runtime service connection" },
	{ "response on the plugin service", BAD_RSP_ON_PLUGIN,
	  "sent a response on the plugin service connection" },
	{ "response to a stream never asked", BAD_RSP_UNASKED, "answered stream 9" },
	{ "frame for connection 7", BAD_CONN_7, "is for connection 7" },
	{ "ttrpc type 9", BAD_TYPE_9, "NRI plugin service connection: ttrpc: message of unknown type 0x09" },
	{ "no answer in time", BAD_TIMEOUT, "did not answer within 50 ms" },
	{ "closed before answering", BAD_EOF_BEFORE_ANSWER, "closed the connection before answering" },
};

static void e2e_check_bad(void **state)
{
	const struct e2e_bad *bc = *state;
	int sv[2];
	bytes_t rt = { 0 };
	nh_error_t err = { 0 };
	Nri__Empty empty = NRI__EMPTY__INIT;
	uint8_t raw[NRI_MUX_HEADER_LEN + NRI_TTRPC_HEADER_LEN] = { 0 };
	int r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	switch (bc->kind) {
	case BAD_CLOSE_MID:
		rt_request(&rt, 1, "Shutdown", &empty, 4096);
		rt.len -= 1;
		break;
	case BAD_REQ_ON_RUNTIME:
		rt_message(&rt, NRI_CONN_RUNTIME, 1, NRI_TTRPC_REQUEST, NULL, 0, 4096);
		break;
	case BAD_RSP_ON_PLUGIN:
		rt_message(&rt, NRI_CONN_PLUGIN, 1, NRI_TTRPC_RESPONSE, NULL, 0, 4096);
		break;
	case BAD_RSP_UNASKED:
		rt_reply(&rt, 9, 0, NULL, 4096);
		break;
	case BAD_CONN_7:
		nri_mux_encode_header(raw, 7, 0);
		put(&rt, raw, NRI_MUX_HEADER_LEN);
		break;
	case BAD_TYPE_9:
		nri_mux_encode_header(raw, NRI_CONN_PLUGIN, NRI_TTRPC_HEADER_LEN);
		raw[NRI_MUX_HEADER_LEN + 7] = 1;
		raw[NRI_MUX_HEADER_LEN + 8] = 9;
		put(&rt, raw, sizeof(raw));
		break;
	default:
		break;
	}
	if (rt.len)
		assert_int_equal(write(sv[1], rt.p, rt.len), (ssize_t)rt.len);
	free(rt.p);
	if (bc->kind != BAD_TIMEOUT)
		shutdown(sv[1], SHUT_WR);
	nri_conn_t *c = nri_conn_new(sv[0], NULL, NULL, &err);
	if (bc->kind == BAD_TIMEOUT || bc->kind == BAD_EOF_BEFORE_ANSWER)
		r = nri_conn_register(c, "numa", "90", 50, &err);
	else
		r = nri_conn_run(c, &err);
	assert_int_equal(r, -1);
	UT_EXPECT_CONTAINS(err.msg, bc->why);
	assert_null(strchr(err.msg, '\n'));
	/* Once broken, it stays so. */
	if (bc->kind != BAD_TIMEOUT && bc->kind != BAD_EOF_BEFORE_ANSWER) {
		nh_error_clear(&err);
		assert_int_equal(nri_conn_serve(c, 0, &err), -1);
		UT_EXPECT_CONTAINS(err.msg, "unusable after an earlier protocol error");
	}
	nri_conn_free(c);
	close(sv[1]);
}

static void register_checks_its_arguments(void **state)
{
	int sv[2];
	nh_error_t err = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	nri_conn_t *c = nri_conn_new(sv[0], NULL, NULL, &err);
	assert_int_equal(nri_conn_register(c, "", "90", 50, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "NRI plugin name: empty");
	nh_error_clear(&err);
	assert_int_equal(nri_conn_register(c, "numa", "9", 50, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "NRI plugin index \"9\"", "two digits");
	nh_error_clear(&err);
	assert_int_equal(nri_conn_register(c, "numa", "9a", 50, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "not two digits");
	nri_conn_free(c);
	close(sv[1]);
}

static void socket_from_env(void **state)
{
	int sv[2], p[2], fd = -1;
	nh_error_t err = { 0 };
	char num[16];

	assert_int_equal(nri_socket_from_env("x3", &fd, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "NRI_PLUGIN_SOCKET=\"x3\": not a file descriptor");
	nh_error_clear(&err);
	assert_int_equal(nri_socket_from_env("2", &fd, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "above 2");
	nh_error_clear(&err);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	snprintf(num, sizeof(num), "%d", p[0]);
	assert_int_equal(nri_socket_from_env(num, &fd, &err), -1);
	UT_EXPECT_ERROR(&err, NH_EXIT_INVALID, "not a stream socket");
	nh_error_clear(&err);
	close(p[0]);
	close(p[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	snprintf(num, sizeof(num), "%d", sv[0]);
	assert_int_equal(nri_socket_from_env(num, &fd, &err), 0);
	assert_int_equal(fd, sv[0]);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(sv[0]);
	close(sv[1]);
	nh_error_clear(&err);
	assert_int_equal(nri_socket_connect("/nonexistent/nri.sock", &fd, &err), -1);
	UT_EXPECT_CONTAINS(err.msg, "NRI socket /nonexistent/nri.sock: connect");
}

/* The plugin face itself, as a runtime starts a pre-installed plugin: the
 * connection inherited as NRI_PLUGIN_SOCKET.  A runtime that splits its
 * state sends Synchronize with more = true: the answer must say more = true
 * too (or containerd drops the plugin), the last part more = false; when the
 * runtime closes the connection, the plugin exits 0. */
static void plugin_inherited_split_sync(void **state)
{
	char dir[] = "/tmp/nh-test-nri-XXXXXX", conf[64], statedir[64];
	int sv[2], status;
	bytes_t rt = { 0 };
	Nri__ConfigureRequest cfg = NRI__CONFIGURE_REQUEST__INIT;
	Nri__SynchronizeRequest sync1 = NRI__SYNCHRONIZE_REQUEST__INIT;
	Nri__SynchronizeRequest sync2 = NRI__SYNCHRONIZE_REQUEST__INIT;
	struct seen seen[8];
	nh_error_t err = { 0 };
	nri_pb_t pb;
	size_t n;
	pid_t pid;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	snprintf(statedir, sizeof(statedir), "%s/state", dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs("log-level = error\n", f);
	fclose(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cfg.runtime_name = "containerd";
	cfg.runtime_version = "2.1";
	rt_request(&rt, 1, "Configure", &cfg, 4096);
	rt_reply(&rt, 1, 0, NULL, 4096);
	sync1.more = true;
	rt_request(&rt, 3, "Synchronize", &sync1, 4096);
	rt_request(&rt, 5, "Synchronize", &sync2, 4096);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *)"nri", (char *)"--config", conf, (char *)"--state-dir",
				 statedir, NULL };

		close(sv[1]);
		if (dup2(sv[0], 3) < 0)
			_exit(99);
		setenv("NRI_PLUGIN_SOCKET", "3", 1);
		nh_log_set_syslog(false);
		_exit(nh_plugin_main(5, argv));
	}
	close(sv[0]);
	assert_int_equal(write(sv[1], rt.p, rt.len), (ssize_t)rt.len);
	free(rt.p);
	/* The runtime's side closed for writing: the plugin answers what it
	 * read, sees the end and exits; what it wrote is RegisterPlugin and
	 * the answers to Configure and the two Synchronize parts. */
	shutdown(sv[1], SHUT_WR);
	n = read_plugin_side(sv[1], seen, NH_ARRAY_SIZE(seen));
	close(sv[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, 4);
	nri_pb_init(&pb, NRI_PB_BUDGET_DEFAULT);
	for (size_t i = 2; i < 4; i++) {
		Ttrpc__Response *rsp = seen_response(&pb, &seen[i], i == 2 ? 3 : 5);
		Nri__SynchronizeResponse *sr;

		assert_int_equal(rsp->status->code, 0);
		if (rsp->payload.len == 0) {
			assert_int_equal(i, 3); /* more = false, no update: an empty message */
		} else {
			assert_int_equal(nri_pb_unpack(&pb, &nri__synchronize_response__descriptor,
						       rsp->payload.data, rsp->payload.len, &sr,
						       &err),
					 0);
			assert_int_equal(sr->more, i == 2);
			assert_int_equal(sr->n_update, 0);
			nri_pb_free(&pb, sr);
		}
		nri_pb_free(&pb, rsp);
	}
	for (size_t i = 0; i < n; i++)
		free(seen[i].data);
	assert_true(unlink(conf) == 0);
	rmdir(statedir);
	assert_true(rmdir(dir) == 0);
}

int main(void)
{
	static const size_t pieces[] = { 1, 3, 10, 17, 4096 };
	ut_list_t l = { 0 };

	ut_add(&l, mux_round_trip, NULL, "mux: frames round trip, fed in pieces of 1..100000 bytes");
	for (size_t i = 0; i < NH_ARRAY_SIZE(mux_bad_cases); i++)
		ut_add(&l, mux_check_header, &mux_bad_cases[i], "mux header: %s -> %s",
		       mux_bad_cases[i].name, mux_bad_cases[i].why ? "refused" : "accepted");
	ut_add(&l, ttrpc_header_round_trip, NULL, "ttrpc: header round trip, big-endian");
	for (size_t i = 0; i < NH_ARRAY_SIZE(ttrpc_bad_cases); i++)
		ut_add(&l, ttrpc_check_bad_header, &ttrpc_bad_cases[i], "ttrpc header: %s refused",
		       ttrpc_bad_cases[i].name);
	ut_add(&l, ttrpc_decoder_split, NULL, "ttrpc: two messages fed in pieces of every size");
	ut_add(&l, ttrpc_envelopes, NULL, "ttrpc: Request and Response envelopes");
	ut_add(&l, pb_create_container_round_trip, NULL,
	       "pb: CreateContainerRequest round trip; budget");
	ut_add(&l, pb_wire_numbers, NULL, "pb: upstream field numbers on the wire");
	for (size_t i = 0; i < NH_ARRAY_SIZE(pieces); i++)
		ut_add(&l, e2e_register_configure_create, (const void *)(uintptr_t)pieces[i],
		       "conn: register, configure, create, unknown method, state change, "
		       "shutdown; runtime frames of %zu bytes",
		       pieces[i]);
	ut_add(&l, e2e_handler_error, NULL, "conn: a handler's error goes to the runtime");
	ut_add(&l, e2e_handler_error, "huge", "conn: a reply over 4 MiB is refused, not sent");
	ut_add(&l, e2e_register_refused, NULL, "conn: the runtime refuses the registration");
	for (size_t i = 0; i < NH_ARRAY_SIZE(e2e_bad_cases); i++)
		ut_add(&l, e2e_check_bad, &e2e_bad_cases[i], "conn: %s", e2e_bad_cases[i].name);
	ut_add(&l, register_checks_its_arguments, NULL, "conn: register checks name and index");
	ut_add(&l, socket_from_env, NULL, "conn: NRI_PLUGIN_SOCKET and connect");
	ut_add(&l, plugin_inherited_split_sync, NULL,
	       "plugin: inherited socket; Synchronize in parts answered more = true, then false; "
	       "exit 0 at the runtime's close");
	return ut_run("nri", &l);
}
