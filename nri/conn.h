/* SPDX-License-Identifier: Apache-2.0 */
/* One NRI plugin's connection to its runtime, single-threaded and
 * blocking: the ttrpc client on the runtime service (RegisterPlugin,
 * UpdateContainers) and the ttrpc server on the plugin service, which
 * answers the runtime's requests through a table of callbacks. It knows
 * the wire (nri/mux, nri/ttrpc, nri/pb) and nothing of what the plugin
 * does with the containers.
 *
 * How a plugin meets the runtime, checked against containerd/nri v0.6.1
 * (pkg/stub/stub.go, pkg/adaptation/adaptation.go and plugin.go,
 * pkg/api/plugin.go, pkg/api/api_ttrpc.pb.go):
 *   - an external plugin connects to the stream socket
 *     /var/run/nri/nri.sock; a plugin the runtime launches itself (from its
 *     plugin directory, file name "IDX-NAME") gets a socketpair end as fd 3
 *     and the environment NRI_PLUGIN_NAME=NAME, NRI_PLUGIN_IDX=IDX,
 *     NRI_PLUGIN_SOCKET=3;
 *   - the services are "nri.pkg.api.v1alpha1.Runtime" (RegisterPlugin,
 *     UpdateContainers) and "nri.pkg.api.v1alpha1.Plugin" (Configure,
 *     Synchronize, Shutdown, CreateContainer, UpdateContainer,
 *     StopContainer, StateChange: the other events, e.g. StartContainer,
 *     RemoveContainer, RunPodSandbox);
 *   - the plugin first calls RegisterPlugin{plugin_name, plugin_idx}; the
 *     runtime waits 5 s for it and refuses an empty name and an index that
 *     is not two digits. It then calls Configure (2 s per request) and,
 *     for a plugin that connected on its own, Synchronize; after that
 *     the events subscribed to, as ConfigureResponse.events bits
 *     (1 << (event - 1); 0 means all). The runtime's RegisterPlugin
 *     handler lets Configure go before it returns, so Configure can arrive
 *     before RegisterPlugin's reply: nri_conn_call() answers requests while
 *     it waits. */
#ifndef NH_NRI_CONN_H
#define NH_NRI_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "nri/pb.h"

#define NRI_SERVICE_RUNTIME "nri.pkg.api.v1alpha1.Runtime"
#define NRI_SERVICE_PLUGIN "nri.pkg.api.v1alpha1.Plugin"
#define NRI_SOCKET_PATH "/var/run/nri/nri.sock"
#define NRI_ENV_PLUGIN_NAME "NRI_PLUGIN_NAME"
#define NRI_ENV_PLUGIN_IDX "NRI_PLUGIN_IDX"
#define NRI_ENV_PLUGIN_SOCKET "NRI_PLUGIN_SOCKET"
/* ConfigureResponse.events bit of an Event. */
#define NRI_EVENT_BIT(e) (1 << ((e) - 1))
/* How long a reply may take to be written before the runtime counts as gone. */
#define NRI_SEND_TIMEOUT_MS 10000

typedef struct nri_conn nri_conn_t;

/* One request of the runtime being answered. */
typedef struct nri_call nri_call_t;
/* Memory for the reply (zeroed; NULL when out of memory), freed once the
 * reply is sent: point the response's fields at it. */
void *nri_call_alloc(nri_call_t *call, size_t size);
char *nri_call_strdup(nri_call_t *call, const char *s);
const char *nri_call_method(const nri_call_t *call);
/* The runtime's deadline for the answer, in ns (0: none). */
int64_t nri_call_timeout_ns(const nri_call_t *call);

/* The plugin's answers. Each handler gets the unpacked request and a
 * response initialised to its empty value, which it fills (with memory of
 * its own that outlives the call, or of nri_call_alloc). Returning -1 with
 * err answers the runtime with that message (code UNKNOWN), which fails
 * the container operation. A NULL handler answers with the empty
 * response. ctx is nri_conn_new()'s. */
typedef struct nri_plugin_ops {
	int (*configure)(void *ctx, nri_call_t *call, const Nri__ConfigureRequest *req,
			 Nri__ConfigureResponse *rsp, nh_error_t *err);
	int (*synchronize)(void *ctx, nri_call_t *call, const Nri__SynchronizeRequest *req,
			   Nri__SynchronizeResponse *rsp, nh_error_t *err);
	int (*shutdown)(void *ctx, nri_call_t *call, nh_error_t *err);
	int (*create_container)(void *ctx, nri_call_t *call,
				const Nri__CreateContainerRequest *req,
				Nri__CreateContainerResponse *rsp, nh_error_t *err);
	int (*update_container)(void *ctx, nri_call_t *call,
				const Nri__UpdateContainerRequest *req,
				Nri__UpdateContainerResponse *rsp, nh_error_t *err);
	int (*stop_container)(void *ctx, nri_call_t *call, const Nri__StopContainerRequest *req,
			      Nri__StopContainerResponse *rsp, nh_error_t *err);
	int (*state_change)(void *ctx, nri_call_t *call, const Nri__StateChangeEvent *evt,
			    nh_error_t *err);
	/* Told of every request answered with an error: the handler's own, or
	 * a request that could not be read (method "" when even the envelope
	 * was bad). For the log; optional. */
	void (*on_error)(void *ctx, const char *method, const nh_error_t *err);
} nri_plugin_ops_t;

/* A connection over fd (a connected stream socket, which it then owns and
 * closes). ops and ctx must outlive it. NULL with err when out of memory. */
nri_conn_t *nri_conn_new(int fd, const nri_plugin_ops_t *ops, void *ctx, nh_error_t *err);
void nri_conn_free(nri_conn_t *c);
int nri_conn_fd(const nri_conn_t *c);

/* Call method of the runtime service with req (a protobuf-c message) and
 * wait up to timeout_ms (-1: forever) for its reply, answering the
 * runtime's requests meanwhile. The reply, unpacked as rsp_desc, goes to
 * *rsp_out (free it with nri_conn_free_msg). -1 with err when the call
 * could not be made or answered, or the runtime answered with an error
 * (its message quoted). Not from inside a handler. */
int nri_conn_call(nri_conn_t *c, const char *method, const void *req,
		  const ProtobufCMessageDescriptor *rsp_desc, void *rsp_out, int timeout_ms,
		  nh_error_t *err);
void nri_conn_free_msg(nri_conn_t *c, void *msg);

/* RegisterPlugin{name, idx}; the runtime's conditions are checked first
 * (name not empty, idx two digits). */
int nri_conn_register(nri_conn_t *c, const char *name, const char *idx, int timeout_ms,
		      nh_error_t *err);

/* Wait up to timeout_ms (-1: forever, 0: not at all) for bytes from the
 * runtime and answer every request complete among them. Returns 0, 1 when
 * the runtime closed the connection between messages or asked for
 * Shutdown (then nothing more comes), or -1 with err: the socket failed,
 * the runtime closed it inside a message, or sent bytes that are not
 * NRI's protocol (the connection is then unusable). */
int nri_conn_serve(nri_conn_t *c, int timeout_ms, nh_error_t *err);

/* nri_conn_serve() until the runtime is gone: 0, or -1 with err. */
int nri_conn_run(nri_conn_t *c, nh_error_t *err);

/* Feed bytes as if read from the socket (the fuzz harness's entry; also
 * what nri_conn_serve does with what it reads). 0, 1 (Shutdown seen) or
 * -1 with err. */
int nri_conn_feed(nri_conn_t *c, const uint8_t *data, size_t len, nh_error_t *err);

/* Connect to the runtime's socket at path. */
int nri_socket_connect(const char *path, int *fd, nh_error_t *err);
/* The inherited socket named by NRI_PLUGIN_SOCKET's value: a decimal fd
 * above 2 that is an open stream socket. */
int nri_socket_from_env(const char *value, int *fd, nh_error_t *err);

#endif
