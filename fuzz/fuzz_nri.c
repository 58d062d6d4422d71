/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz what an NRI runtime's socket brings a plugin: the multiplexer's
 * frames, ttrpc's messages and envelopes, and NRI's messages, through the
 * plugin's connection (nri_conn_feed, replies written to /dev/null), or
 * straight into the protobuf decoders.
 *
 * Byte 0 of the input picks the mode and the cut: bit 7 clear: the rest is
 * the socket's bytes, fed in pieces of 1 << (byte & 15) bytes (1 B-32 KiB)
 * to nri_conn_feed; bit 7 set: the rest is one message, unpacked as every
 * message type of nri.proto and ttrpc.proto, each under a 1 MiB budget that
 * must be whole again after the free. */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/util.h"
#include "fuzz/fuzz_common.h"
#include "nri/conn.h"
#include "nri/pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read every string the handlers get, so that a bad pointer shows. */
static volatile size_t sink;

static void touch(const char *s)
{
	FUZZ_ASSERT(s != NULL);
	sink += strlen(s);
}

static void touch_cpu(const Nri__LinuxResources *r)
{
	if (r && r->cpu) {
		touch(r->cpu->cpus);
		touch(r->cpu->mems);
	}
}

static void touch_pod(const Nri__PodSandbox *p)
{
	if (!p)
		return;
	touch(p->id);
	touch(p->name);
	touch(p->uid);
	touch(p->namespace_);
	for (size_t i = 0; i < p->n_annotations; i++) {
		touch(p->annotations[i]->key);
		touch(p->annotations[i]->value);
	}
}

static void touch_container(const Nri__Container *c)
{
	if (!c)
		return;
	touch(c->id);
	touch(c->pod_sandbox_id);
	touch(c->name);
	for (size_t i = 0; i < c->n_annotations; i++) {
		touch(c->annotations[i]->key);
		touch(c->annotations[i]->value);
	}
	if (c->linux) {
		touch(c->linux->cgroups_path);
		touch_cpu(c->linux->resources);
	}
}

static int f_configure(void *ctx, nri_call_t *call, const Nri__ConfigureRequest *req,
		       Nri__ConfigureResponse *rsp, nh_error_t *err)
{
	touch(req->config);
	touch(req->runtime_name);
	touch(req->runtime_version);
	rsp->events = NRI_EVENT_BIT(NRI__EVENT__CREATE_CONTAINER);
	return 0;
}

static int f_synchronize(void *ctx, nri_call_t *call, const Nri__SynchronizeRequest *req,
			 Nri__SynchronizeResponse *rsp, nh_error_t *err)
{
	for (size_t i = 0; i < req->n_pods; i++)
		touch_pod(req->pods[i]);
	for (size_t i = 0; i < req->n_containers; i++)
		touch_container(req->containers[i]);
	return 0;
}

/* Answer with an adjustment built in the call's memory, or fail. */
static int f_create(void *ctx, nri_call_t *call, const Nri__CreateContainerRequest *req,
		    Nri__CreateContainerResponse *rsp, nh_error_t *err)
{
	Nri__ContainerAdjustment *adj = nri_call_alloc(call, sizeof(*adj));
	Nri__LinuxContainerAdjustment *la = nri_call_alloc(call, sizeof(*la));
	Nri__LinuxResources *res = nri_call_alloc(call, sizeof(*res));
	Nri__LinuxCPU *cpu = nri_call_alloc(call, sizeof(*cpu));

	touch_pod(req->pod);
	touch_container(req->container);
	if (req->container && req->container->pid % 2)
		return nh_fail(err, NH_EXIT_INVALID, 0, "container %s: refused",
			       nh_quote(req->container->id, strlen(req->container->id), 0));
	FUZZ_ASSERT(adj && la && res && cpu);
	nri__container_adjustment__init(adj);
	nri__linux_container_adjustment__init(la);
	nri__linux_resources__init(res);
	nri__linux_cpu__init(cpu);
	cpu->mems = nri_call_strdup(call, req->pod ? req->pod->id : "0");
	res->cpu = cpu;
	la->resources = res;
	adj->linux = la;
	rsp->adjust = adj;
	return 0;
}

static int f_update(void *ctx, nri_call_t *call, const Nri__UpdateContainerRequest *req,
		    Nri__UpdateContainerResponse *rsp, nh_error_t *err)
{
	touch_pod(req->pod);
	touch_container(req->container);
	touch_cpu(req->linux_resources);
	return 0;
}

static int f_stop(void *ctx, nri_call_t *call, const Nri__StopContainerRequest *req,
		  Nri__StopContainerResponse *rsp, nh_error_t *err)
{
	touch_pod(req->pod);
	touch_container(req->container);
	return 0;
}

static int f_state_change(void *ctx, nri_call_t *call, const Nri__StateChangeEvent *evt,
			  nh_error_t *err)
{
	touch_pod(evt->pod);
	touch_container(evt->container);
	return 0;
}

static void f_on_error(void *ctx, const char *method, const nh_error_t *err)
{
	fuzz_check_result(-1, err);
}

static const nri_plugin_ops_t ops = {
	.configure = f_configure,
	.synchronize = f_synchronize,
	.create_container = f_create,
	.update_container = f_update,
	.stop_container = f_stop,
	.state_change = f_state_change,
	.on_error = f_on_error,
};

static void fuzz_conn(const uint8_t *data, size_t size, size_t piece)
{
	nh_error_t err = { 0 };
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	nri_conn_t *c;

	FUZZ_ASSERT(fd >= 0);
	c = nri_conn_new(fd, &ops, NULL, &err);
	FUZZ_ASSERT(c != NULL);
	for (size_t off = 0; off < size; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		int r = nri_conn_feed(c, data + off, n, &err);

		fuzz_check_result(r < 0 ? -1 : 0, &err);
		FUZZ_ASSERT(r >= -1 && r <= 1);
		if (r < 0)
			break;
	}
	nri_conn_free(c);
}

static const ProtobufCMessageDescriptor *const descriptors[] = {
	&nri__register_plugin_request__descriptor,
	&nri__update_containers_request__descriptor,
	&nri__update_containers_response__descriptor,
	&nri__configure_request__descriptor,
	&nri__configure_response__descriptor,
	&nri__synchronize_request__descriptor,
	&nri__synchronize_response__descriptor,
	&nri__create_container_request__descriptor,
	&nri__create_container_response__descriptor,
	&nri__update_container_request__descriptor,
	&nri__update_container_response__descriptor,
	&nri__stop_container_request__descriptor,
	&nri__stop_container_response__descriptor,
	&nri__state_change_event__descriptor,
	&nri__empty__descriptor,
	&ttrpc__request__descriptor,
	&ttrpc__response__descriptor,
};

static void fuzz_unpack(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(descriptors) / sizeof(descriptors[0]); i++) {
		nri_pb_t pb;
		nh_error_t err = { 0 };
		void *msg = NULL;
		int r;

		nri_pb_init(&pb, 1u << 20);
		r = nri_pb_unpack(&pb, descriptors[i], data, size, &msg, &err);
		fuzz_check_result(r, &err);
		if (r == 0) {
			FUZZ_ASSERT(msg != NULL);
			if (descriptors[i] == &nri__create_container_request__descriptor) {
				const Nri__CreateContainerRequest *req = msg;

				touch_pod(req->pod);
				touch_container(req->container);
			} else if (descriptors[i] == &nri__synchronize_request__descriptor) {
				const Nri__SynchronizeRequest *req = msg;

				for (size_t j = 0; j < req->n_pods; j++)
					touch_pod(req->pods[j]);
				for (size_t j = 0; j < req->n_containers; j++)
					touch_container(req->containers[j]);
			}
			nri_pb_free(&pb, msg);
		}
		FUZZ_ASSERT(pb.used == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 0x80)
		fuzz_unpack(data + 1, size - 1);
	else
		fuzz_conn(data + 1, size - 1, (size_t)1 << (data[0] & 15));
	return 0;
}
