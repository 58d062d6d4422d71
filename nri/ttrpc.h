/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc, the RPC protocol NRI speaks on each multiplexed connection: a
 * byte stream of messages, each a 10-byte header and its data; a request's
 * data is a protobuf ttrpc.Request naming service and method and carrying
 * the call's message as payload bytes, a response's data a ttrpc.Response
 * with a google.rpc.Status and the reply's bytes. This layer cuts the
 * stream into messages and packs and unpacks the two envelopes; which
 * messages may come when is nri/conn's business.
 *
 * Wire facts, checked against containerd/ttrpc v1.2.3 (the version NRI
 * v0.6.1 requires; channel.go, request.proto, server.go, client.go,
 * services.go, PROTOCOL.md):
 *   - header: bytes 0-3 data length, 4-7 stream id (both unsigned 32-bit
 *     big-endian), byte 8 type (1 request, 2 response, 3 data), byte 9
 *     flags (for requests: 1 remote closed, 2 remote open; for data: 1
 *     remote closed, 4 no data; none for responses; 0 on a unary request);
 *   - data longer than 4 MiB (4 << 20) is refused;
 *   - a client's stream ids are odd and increase (1, 3, 5, ...); the
 *     server refuses an even or a reused one, and answers on the same id;
 *   - Request: service 1, method 2, payload 3 (bytes), timeout_nano 4
 *     (int64, 0 = none), metadata 5 (repeated key 1 / value 2);
 *     Response: status 1 (google.rpc.Status: code 1, message 2), payload 2;
 *     status absent or code 0 means success;
 *   - an unknown service or method is answered with code 12
 *     (UNIMPLEMENTED) and the message "service NAME" / "method NAME"; an
 *     error of a handler with code 2 (UNKNOWN) and its text.
 * NRI v0.6.1 uses only unary calls, so data messages (streams) are refused
 * here. */
#ifndef NH_NRI_TTRPC_H
#define NH_NRI_TTRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "nri/pb.h"

#define NRI_TTRPC_HEADER_LEN 10
#define NRI_TTRPC_DATA_MAX (4u << 20)

enum nri_ttrpc_type {
	NRI_TTRPC_REQUEST = 1,
	NRI_TTRPC_RESPONSE = 2,
	NRI_TTRPC_DATA = 3,
};

/* google.rpc codes that this layer sends or names. */
enum nri_rpc_code {
	NRI_RPC_OK = 0,
	NRI_RPC_UNKNOWN = 2,
	NRI_RPC_INVALID_ARGUMENT = 3,
	NRI_RPC_RESOURCE_EXHAUSTED = 8,
	NRI_RPC_UNIMPLEMENTED = 12,
	NRI_RPC_INTERNAL = 13,
};

typedef struct nri_ttrpc_header {
	uint32_t length;
	uint32_t stream_id;
	uint8_t type;
	uint8_t flags;
} nri_ttrpc_header_t;

void nri_ttrpc_header_encode(uint8_t out[NRI_TTRPC_HEADER_LEN], const nri_ttrpc_header_t *h);

/* Decode and check a header: type request or response (a data message is
 * refused as streaming, any other type as unknown), length at most
 * NRI_TTRPC_DATA_MAX, stream id not 0. 0, or -1 with err (NH_EXIT_INVALID). */
int nri_ttrpc_header_decode(const uint8_t in[NRI_TTRPC_HEADER_LEN], nri_ttrpc_header_t *h,
			    nh_error_t *err);

/* The incremental decoder of one connection's byte stream. */
typedef struct nri_ttrpc_dec {
	uint8_t hdr[NRI_TTRPC_HEADER_LEN];
	size_t hdr_have;
	bool in_data;
	nri_ttrpc_header_t h;
	uint8_t *data; /* h.length bytes once the header is complete */
	size_t data_have;
} nri_ttrpc_dec_t;

/* A complete message; data stays valid until the next decode call. */
typedef struct nri_ttrpc_msg {
	nri_ttrpc_header_t h;
	const uint8_t *data;
	size_t len;
} nri_ttrpc_msg_t;

void nri_ttrpc_dec_init(nri_ttrpc_dec_t *d);
void nri_ttrpc_dec_free(nri_ttrpc_dec_t *d);
/* Take bytes of in[0..len) up to the end of at most one message: *used is
 * the count taken, *complete whether msg was filled. 0, or -1 with err for
 * a bad header (see nri_ttrpc_header_decode) or no memory. */
int nri_ttrpc_decode(nri_ttrpc_dec_t *d, const uint8_t *in, size_t len, size_t *used,
		     nri_ttrpc_msg_t *msg, bool *complete, nh_error_t *err);
/* Whether the decoder stands between messages. */
bool nri_ttrpc_dec_idle(const nri_ttrpc_dec_t *d);

/* A whole message, header and data, in a new buffer. */
int nri_ttrpc_encode(const nri_ttrpc_header_t *h, const uint8_t *data, uint8_t **out,
		     size_t *out_len, nh_error_t *err);

/* The envelopes. A packed envelope is a new buffer; an unpacked one is
 * freed with nri_pb_free() (it is allocated within pb's budget). */
int nri_ttrpc_request_pack(const char *service, const char *method, const uint8_t *payload,
			   size_t payload_len, int64_t timeout_nano, uint8_t **out,
			   size_t *out_len, nh_error_t *err);
int nri_ttrpc_response_pack(int32_t code, const char *message, const uint8_t *payload,
			    size_t payload_len, uint8_t **out, size_t *out_len, nh_error_t *err);
/* Unpack and check: a request must name a service and a method. */
int nri_ttrpc_request_unpack(nri_pb_t *pb, const uint8_t *data, size_t len,
			     Ttrpc__Request **out, nh_error_t *err);
int nri_ttrpc_response_unpack(nri_pb_t *pb, const uint8_t *data, size_t len,
			      Ttrpc__Response **out, nh_error_t *err);

#endif
