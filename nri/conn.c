/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/util.h"
#include "nri/conn.h"
#include "nri/mux.h"
#include "nri/ttrpc.h"

/* Bytes read from the socket at a time. */
#define READ_CHUNK 65536

struct call_block {
	struct call_block *next;
	max_align_t data[];
};

struct nri_call {
	const char *method;
	int64_t timeout_ns;
	struct call_block *blocks;
};

struct nri_conn {
	int fd;
	const nri_plugin_ops_t *ops;
	void *ctx;
	nri_mux_dec_t mux;
	nri_ttrpc_dec_t dec[2]; /* by connection id - 1 */
	nri_pb_t pb;
	uint32_t next_stream;	  /* ours on the runtime service: 1, 3, 5, ... */
	uint32_t last_request;	  /* the runtime's last stream id on the plugin service */
	uint32_t waiting;	  /* the stream of the call waited for, 0 if none */
	Ttrpc__Response *response; /* its reply, once here */
	bool in_handler;
	bool shutdown;
	bool broken; /* a protocol error happened: nothing more is read */
};

void *nri_call_alloc(nri_call_t *call, size_t size)
{
	struct call_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = calloc(1, sizeof(*b) + size);
	if (!b)
		return NULL;
	b->next = call->blocks;
	call->blocks = b;
	return b->data;
}

char *nri_call_strdup(nri_call_t *call, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = nri_call_alloc(call, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

const char *nri_call_method(const nri_call_t *call)
{
	return call->method;
}

int64_t nri_call_timeout_ns(const nri_call_t *call)
{
	return call->timeout_ns;
}

static void call_release(nri_call_t *call)
{
	while (call->blocks) {
		struct call_block *b = call->blocks;

		call->blocks = b->next;
		free(b);
	}
}

nri_conn_t *nri_conn_new(int fd, const nri_plugin_ops_t *ops, void *ctx, nh_error_t *err)
{
	nri_conn_t *c = calloc(1, sizeof(*c));

	if (!c) {
		nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "NRI connection");
		return NULL;
	}
	c->fd = fd;
	c->ops = ops;
	c->ctx = ctx;
	nri_mux_dec_init(&c->mux);
	nri_ttrpc_dec_init(&c->dec[0]);
	nri_ttrpc_dec_init(&c->dec[1]);
	nri_pb_init(&c->pb, NRI_PB_BUDGET_DEFAULT);
	c->next_stream = 1;
	return c;
}

void nri_conn_free(nri_conn_t *c)
{
	if (!c)
		return;
	nri_pb_free(&c->pb, c->response);
	nri_ttrpc_dec_free(&c->dec[0]);
	nri_ttrpc_dec_free(&c->dec[1]);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int nri_conn_fd(const nri_conn_t *c)
{
	return c->fd;
}

void nri_conn_free_msg(nri_conn_t *c, void *msg)
{
	nri_pb_free(&c->pb, msg);
}

/* Milliseconds left until deadline (UINT64_MAX: none), for poll. */
static int ms_left(uint64_t deadline)
{
	uint64_t now;

	if (deadline == UINT64_MAX)
		return -1;
	now = nh_now_ms();
	if (now >= deadline)
		return 0;
	return deadline - now > INT32_MAX ? INT32_MAX : (int)(deadline - now);
}

static uint64_t deadline_in(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : nh_now_ms() + (uint64_t)timeout_ms;
}

static int send_all(nri_conn_t *c, const uint8_t *buf, size_t len, nh_error_t *err)
{
	uint64_t deadline = deadline_in(NRI_SEND_TIMEOUT_MS);
	bool socket = true;

	while (len > 0) {
		ssize_t n = socket ? send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
				   : write(c->fd, buf, len);

		if (n < 0 && errno == ENOTSOCK && socket) {
			socket = false; /* a pipe or file: the tests' and the fuzzer's */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };
			int r = (int)NH_RETRY(poll(&p, 1, ms_left(deadline)));

			if (r < 0)
				return nh_fail(err, NH_EXIT_SYSTEM, errno, "NRI connection: poll");
			if (r == 0)
				return nh_fail(err, NH_EXIT_SYSTEM, 0,
					       "NRI connection: the runtime has read nothing for "
					       "%d s",
					       NRI_SEND_TIMEOUT_MS / 1000);
			continue;
		}
		if (n < 0)
			return nh_fail(err, NH_EXIT_SYSTEM, errno,
				       "NRI connection: writing to the runtime");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send one ttrpc message (envelope already packed) on conn. */
static int send_message(nri_conn_t *c, uint32_t conn, uint32_t stream, uint8_t type,
			const uint8_t *data, size_t len, nh_error_t *err)
{
	_cleanup_free_ uint8_t *msg = NULL;
	_cleanup_free_ uint8_t *frames = NULL;
	size_t msg_len, frames_len;
	nri_ttrpc_header_t h = { .stream_id = stream, .type = type };

	if (len > NRI_TTRPC_DATA_MAX)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "NRI connection: a %s of %zu bytes is over ttrpc's maximum of %u",
			       type == NRI_TTRPC_REQUEST ? "request" : "response", len,
			       NRI_TTRPC_DATA_MAX);
	h.length = (uint32_t)len;
	if (nri_ttrpc_encode(&h, data, &msg, &msg_len, err) < 0 ||
	    nri_mux_encode(conn, msg, msg_len, &frames, &frames_len, err) < 0)
		return -1;
	return send_all(c, frames, frames_len, err);
}

static int send_status(nri_conn_t *c, uint32_t stream, int32_t code, const char *message,
		       const uint8_t *payload, size_t len, nh_error_t *err)
{
	_cleanup_free_ uint8_t *env = NULL;
	size_t env_len;

	if (nri_ttrpc_response_pack(code, message, payload, len, &env, &env_len, err) < 0)
		return -1;
	return send_message(c, NRI_CONN_PLUGIN, stream, NRI_TTRPC_RESPONSE, env, env_len, err);
}

/* The runtime's request could not be answered as asked: tell the plugin's
 * log, then the runtime. */
static int refuse(nri_conn_t *c, uint32_t stream, const char *method, int32_t code,
		  const nh_error_t *why, nh_error_t *err)
{
	if (c->ops && c->ops->on_error)
		c->ops->on_error(c->ctx, method, why);
	return send_status(c, stream, code, why->msg, NULL, 0, err);
}

/* Handlers through one shape: unpacked request in, response to fill. */
typedef int (*handler_fn)(nri_conn_t *c, nri_call_t *call, const void *req, void *rsp,
			  nh_error_t *err);

#define HANDLER(NAME, REQ, RSP)                                                                    \
	static int h_##NAME(nri_conn_t *c, nri_call_t *call, const void *req, void *rsp,           \
			    nh_error_t *err)                                                       \
	{                                                                                          \
		if (!c->ops || !c->ops->NAME)                                                      \
			return 0;                                                                  \
		return c->ops->NAME(c->ctx, call, (const REQ *)req, (RSP *)rsp, err);              \
	}
HANDLER(configure, Nri__ConfigureRequest, Nri__ConfigureResponse)
HANDLER(synchronize, Nri__SynchronizeRequest, Nri__SynchronizeResponse)
HANDLER(create_container, Nri__CreateContainerRequest, Nri__CreateContainerResponse)
HANDLER(update_container, Nri__UpdateContainerRequest, Nri__UpdateContainerResponse)
HANDLER(stop_container, Nri__StopContainerRequest, Nri__StopContainerResponse)
#undef HANDLER

static int h_shutdown(nri_conn_t *c, nri_call_t *call, const void *req, void *rsp,
		      nh_error_t *err)
{
	c->shutdown = true;
	if (!c->ops || !c->ops->shutdown)
		return 0;
	return c->ops->shutdown(c->ctx, call, err);
}

static int h_state_change(nri_conn_t *c, nri_call_t *call, const void *req, void *rsp,
			  nh_error_t *err)
{
	if (!c->ops || !c->ops->state_change)
		return 0;
	return c->ops->state_change(c->ctx, call, req, err);
}

static const struct method {
	const char *name;
	const ProtobufCMessageDescriptor *req, *rsp;
	handler_fn fn;
} methods[] = {
	{ "Configure", &nri__configure_request__descriptor,
	  &nri__configure_response__descriptor, h_configure },
	{ "Synchronize", &nri__synchronize_request__descriptor,
	  &nri__synchronize_response__descriptor, h_synchronize },
	{ "Shutdown", &nri__empty__descriptor, &nri__empty__descriptor, h_shutdown },
	{ "CreateContainer", &nri__create_container_request__descriptor,
	  &nri__create_container_response__descriptor, h_create_container },
	{ "UpdateContainer", &nri__update_container_request__descriptor,
	  &nri__update_container_response__descriptor, h_update_container },
	{ "StopContainer", &nri__stop_container_request__descriptor,
	  &nri__stop_container_response__descriptor, h_stop_container },
	{ "StateChange", &nri__state_change_event__descriptor, &nri__empty__descriptor,
	  h_state_change },
};

/* The response message, initialised (protobuf-c's init functions differ
 * only in their descriptor, which message_init takes). */
union any_response {
	Nri__ConfigureResponse configure;
	Nri__SynchronizeResponse synchronize;
	Nri__CreateContainerResponse create;
	Nri__UpdateContainerResponse update;
	Nri__StopContainerResponse stop;
	Nri__Empty empty;
};

static int dispatch(nri_conn_t *c, const struct method *m, const Ttrpc__Request *env,
		    uint32_t stream, nh_error_t *err)
{
	nri_call_t call = { .method = m->name, .timeout_ns = env->timeout_nano };
	nh_error_t why = { 0 };
	union any_response rsp;
	void *req = NULL;
	_cleanup_free_ uint8_t *payload = NULL;
	size_t payload_len = 0;
	int r;

	if (nri_pb_unpack(&c->pb, m->req, env->payload.data, env->payload.len, &req, &why) < 0)
		return refuse(c, stream, m->name, NRI_RPC_INVALID_ARGUMENT, &why, err);
	protobuf_c_message_init(m->rsp, &rsp);
	c->in_handler = true;
	r = m->fn(c, &call, req, &rsp, &why);
	c->in_handler = false;
	nri_pb_free(&c->pb, req);
	if (r < 0) {
		call_release(&call);
		if (why.status == 0)
			nh_fail(&why, NH_EXIT_SYSTEM, 0, "%s failed", m->name);
		return refuse(c, stream, m->name, NRI_RPC_UNKNOWN, &why, err);
	}
	r = nri_pb_pack(&rsp, &payload, &payload_len, &why);
	call_release(&call);
	if (r < 0)
		return refuse(c, stream, m->name, NRI_RPC_INTERNAL, &why, err);
	/* The envelope adds a few bytes; ttrpc's limit is on the whole. */
	if (payload_len > NRI_TTRPC_DATA_MAX - 64) {
		nh_fail(&why, NH_EXIT_SYSTEM, 0,
			"%s: a reply of %zu bytes is over ttrpc's maximum of %u", m->name,
			payload_len, NRI_TTRPC_DATA_MAX);
		return refuse(c, stream, m->name, NRI_RPC_RESOURCE_EXHAUSTED, &why, err);
	}
	return send_status(c, stream, NRI_RPC_OK, NULL, payload, payload_len, err);
}

/* A request of the runtime on the plugin service. As ttrpc's server does,
 * a request that cannot be served is answered with an error status, and
 * the connection goes on. */
static int on_request(nri_conn_t *c, const nri_ttrpc_msg_t *msg, nh_error_t *err)
{
	uint32_t stream = msg->h.stream_id;
	Ttrpc__Request *env = NULL;
	nh_error_t why = { 0 };
	int r;

	if (stream % 2 != 1) {
		nh_fail(&why, NH_EXIT_INVALID, 0,
			"ttrpc: request on even stream %u (a client's streams are odd)", stream);
		return refuse(c, stream, "", NRI_RPC_INVALID_ARGUMENT, &why, err);
	}
	if (stream <= c->last_request) {
		nh_fail(&why, NH_EXIT_INVALID, 0,
			"ttrpc: request on stream %u after stream %u (stream ids must increase)",
			stream, c->last_request);
		return refuse(c, stream, "", NRI_RPC_INVALID_ARGUMENT, &why, err);
	}
	c->last_request = stream;
	if (nri_ttrpc_request_unpack(&c->pb, msg->data, msg->len, &env, &why) < 0)
		return refuse(c, stream, "", NRI_RPC_INVALID_ARGUMENT, &why, err);
	if (strcmp(env->service, NRI_SERVICE_PLUGIN) != 0) {
		nh_fail(&why, NH_EXIT_INVALID, 0, "service %s",
			nh_quote(env->service, strlen(env->service), 0));
		r = refuse(c, stream, "", NRI_RPC_UNIMPLEMENTED, &why, err);
		nri_pb_free(&c->pb, env);
		return r;
	}
	for (size_t i = 0; i < NH_ARRAY_SIZE(methods); i++) {
		if (strcmp(env->method, methods[i].name) == 0) {
			r = dispatch(c, &methods[i], env, stream, err);
			nri_pb_free(&c->pb, env);
			return r;
		}
	}
	nh_fail(&why, NH_EXIT_INVALID, 0, "method %s",
		nh_quote(env->method, strlen(env->method), 0));
	r = refuse(c, stream, "", NRI_RPC_UNIMPLEMENTED, &why, err);
	nri_pb_free(&c->pb, env);
	return r;
}

/* A reply of the runtime on the runtime service. */
static int on_response(nri_conn_t *c, const nri_ttrpc_msg_t *msg, nh_error_t *err)
{
	uint32_t stream = msg->h.stream_id;

	if (stream != c->waiting || c->response) {
		/* A reply that came after its call timed out is dropped. */
		if (stream % 2 == 1 && stream < c->next_stream && stream != c->waiting)
			return 0;
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "NRI connection: the runtime answered stream %u, which waits for no "
			       "answer",
			       stream);
	}
	return nri_ttrpc_response_unpack(&c->pb, msg->data, msg->len, &c->response, err);
}

static int on_message(nri_conn_t *c, uint32_t conn, const nri_ttrpc_msg_t *msg,
		      nh_error_t *err)
{
	if (conn == NRI_CONN_PLUGIN && msg->h.type == NRI_TTRPC_REQUEST)
		return on_request(c, msg, err);
	if (conn == NRI_CONN_RUNTIME && msg->h.type == NRI_TTRPC_RESPONSE)
		return on_response(c, msg, err);
	return nh_fail(err, NH_EXIT_INVALID, 0,
		       "NRI connection: the runtime sent a %s on the %s connection, where it "
		       "only sends %ss",
		       msg->h.type == NRI_TTRPC_REQUEST ? "request" : "response",
		       nri_conn_name(conn), conn == NRI_CONN_PLUGIN ? "request" : "response");
}

static int feed(nri_conn_t *c, const uint8_t *data, size_t len, nh_error_t *err)
{
	while (len > 0) {
		nri_mux_chunk_t chunk;
		bool have_chunk;
		size_t used;

		if (nri_mux_decode(&c->mux, data, len, &used, &chunk, &have_chunk, err) < 0)
			return -1;
		data += used;
		len -= used;
		if (!have_chunk)
			continue;
		while (chunk.len > 0) {
			nri_ttrpc_dec_t *d = &c->dec[chunk.conn - 1];
			nri_ttrpc_msg_t msg;
			bool complete;

			if (nri_ttrpc_decode(d, chunk.data, chunk.len, &used, &msg, &complete,
					     err) < 0)
				return nh_prefix(err, "NRI %s connection",
						 nri_conn_name(chunk.conn));
			chunk.data += used;
			chunk.len -= used;
			if (complete && on_message(c, chunk.conn, &msg, err) < 0)
				return -1;
		}
	}
	return 0;
}

int nri_conn_feed(nri_conn_t *c, const uint8_t *data, size_t len, nh_error_t *err)
{
	if (c->broken)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "NRI connection: unusable after an earlier protocol error");
	if (feed(c, data, len, err) < 0) {
		c->broken = true;
		return -1;
	}
	return c->shutdown ? 1 : 0;
}

/* Read what is there within timeout_ms and act on it. 1 at EOF between
 * messages. */
static int pump(nri_conn_t *c, int timeout_ms, nh_error_t *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (c->broken)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "NRI connection: unusable after an earlier protocol error");
	r = (int)NH_RETRY(poll(&p, 1, timeout_ms));
	if (r < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "NRI connection: poll");
	if (r == 0)
		return 0;
	buf = malloc(READ_CHUNK);
	if (!buf)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "NRI connection");
	n = NH_RETRY(read(c->fd, buf, READ_CHUNK));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno,
			       "NRI connection: reading from the runtime");
	if (n == 0) {
		if (!nri_mux_dec_idle(&c->mux) || !nri_ttrpc_dec_idle(&c->dec[0]) ||
		    !nri_ttrpc_dec_idle(&c->dec[1])) {
			c->broken = true;
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "NRI connection: the runtime closed it in the middle of "
				       "a message");
		}
		return 1;
	}
	r = nri_conn_feed(c, buf, (size_t)n, err);
	return r < 0 ? -1 : 0;
}

int nri_conn_serve(nri_conn_t *c, int timeout_ms, nh_error_t *err)
{
	int r;

	if (c->shutdown)
		return 1;
	r = pump(c, timeout_ms, err);

	if (r < 0)
		return -1;
	return r == 1 || c->shutdown ? 1 : 0;
}

int nri_conn_run(nri_conn_t *c, nh_error_t *err)
{
	for (;;) {
		int r = nri_conn_serve(c, -1, err);

		if (r != 0)
			return r < 0 ? -1 : 0;
	}
}

int nri_conn_call(nri_conn_t *c, const char *method, const void *req,
		  const ProtobufCMessageDescriptor *rsp_desc, void *rsp_out, int timeout_ms,
		  nh_error_t *err)
{
	_cleanup_free_ uint8_t *payload = NULL;
	_cleanup_free_ uint8_t *env = NULL;
	size_t payload_len, env_len;
	uint64_t deadline = deadline_in(timeout_ms);
	uint32_t stream;
	const Ttrpc__Status *st;
	int r;

	if (c->in_handler)
		return nh_fail(err, NH_EXIT_SYSTEM, 0,
			       "NRI %s: a call to the runtime from inside a handler", method);
	if (c->next_stream > UINT32_MAX - 2)
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "NRI %s: ttrpc stream ids exhausted",
			       method);
	stream = c->next_stream;
	c->next_stream += 2;
	if (nri_pb_pack(req, &payload, &payload_len, err) < 0 ||
	    nri_ttrpc_request_pack(NRI_SERVICE_RUNTIME, method, payload, payload_len,
				   timeout_ms > 0 ? (int64_t)timeout_ms * 1000000 : 0, &env,
				   &env_len, err) < 0 ||
	    send_message(c, NRI_CONN_RUNTIME, stream, NRI_TTRPC_REQUEST, env, env_len, err) < 0)
		return nh_prefix(err, "NRI %s", method);
	c->waiting = stream;
	while (!c->response) {
		int left = ms_left(deadline);

		if (left == 0 && timeout_ms != 0) {
			c->waiting = 0;
			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       "NRI %s: the runtime did not answer within %d ms", method,
				       timeout_ms);
		}
		r = pump(c, left, err);
		if (r == 1 && !c->response) {
			c->waiting = 0;
			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       "NRI %s: the runtime closed the connection before answering",
				       method);
		}
		if (r < 0) {
			c->waiting = 0;
			return nh_prefix(err, "NRI %s", method);
		}
		if (timeout_ms == 0 && !c->response) {
			c->waiting = 0;
			return nh_fail(err, NH_EXIT_SYSTEM, 0, "NRI %s: no answer yet", method);
		}
	}
	c->waiting = 0;
	st = c->response->status;
	if (st && st->code != NRI_RPC_OK) {
		nh_fail(err, NH_EXIT_INVALID, 0, "NRI %s: the runtime refused it (code %d): %s",
			method, st->code, nh_quote(st->message, strlen(st->message), 0));
		nri_pb_free(&c->pb, c->response);
		c->response = NULL;
		return -1;
	}
	r = nri_pb_unpack(&c->pb, rsp_desc, c->response->payload.data, c->response->payload.len,
			  rsp_out, err);
	nri_pb_free(&c->pb, c->response);
	c->response = NULL;
	return r < 0 ? nh_prefix(err, "NRI %s: the runtime's answer", method) : 0;
}

static bool valid_index(const char *idx)
{
	return idx[0] >= '0' && idx[0] <= '9' && idx[1] >= '0' && idx[1] <= '9' && idx[2] == '\0';
}

int nri_conn_register(nri_conn_t *c, const char *name, const char *idx, int timeout_ms,
		      nh_error_t *err)
{
	Nri__RegisterPluginRequest req = NRI__REGISTER_PLUGIN_REQUEST__INIT;
	Nri__Empty *rsp = NULL;

	if (!name || !*name)
		return nh_fail(err, NH_EXIT_INVALID, 0, "NRI plugin name: empty");
	if (!idx || !valid_index(idx))
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "NRI plugin index \"%s\": not two digits (00-99)",
			       idx ? nh_quote(idx, strlen(idx), 0) : "(none)");
	req.plugin_name = (char *)name;
	req.plugin_idx = (char *)idx;
	if (nri_conn_call(c, "RegisterPlugin", &req, &nri__empty__descriptor, &rsp, timeout_ms,
			  err) < 0)
		return -1;
	nri_conn_free_msg(c, rsp);
	return 0;
}

int nri_socket_connect(const char *path, int *fd, nh_error_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int s = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return nh_fail(err, NH_EXIT_INVALID, 0, "NRI socket %s: path too long",
			       nh_quote_whole(path, 0));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, "NRI socket: socket");
	if (NH_RETRY(connect(s, (struct sockaddr *)&sa, sizeof(sa))) < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno,
			       "NRI socket %s: connect (is NRI enabled in the runtime?)",
			       nh_quote_whole(path, 0));
	*fd = NH_STEAL_FD(s);
	return 0;
}

int nri_socket_from_env(const char *value, int *fd, nh_error_t *err)
{
	uint64_t n;
	struct stat st;
	int type;
	socklen_t len = sizeof(type);

	if (!value || !nh_parse_u64(value, strlen(value), INT32_MAX, &n) || n < 3)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       NRI_ENV_PLUGIN_SOCKET "=\"%s\": not a file descriptor number above 2",
			       value ? nh_quote(value, strlen(value), 0) : "(unset)");
	if (fstat((int)n, &st) < 0)
		return nh_fail(err, NH_EXIT_INVALID, errno, NRI_ENV_PLUGIN_SOCKET "=%d", (int)n);
	if (!S_ISSOCK(st.st_mode) ||
	    getsockopt((int)n, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       NRI_ENV_PLUGIN_SOCKET "=%d: not a stream socket", (int)n);
	if (fcntl((int)n, F_SETFD, FD_CLOEXEC) < 0)
		return nh_fail(err, NH_EXIT_SYSTEM, errno, NRI_ENV_PLUGIN_SOCKET "=%d: cloexec",
			       (int)n);
	*fd = (int)n;
	return 0;
}
