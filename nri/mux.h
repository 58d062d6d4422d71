/* SPDX-License-Identifier: Apache-2.0 */
/* NRI's connection multiplexer: the one stream socket between a plugin and
 * the runtime carries two logical connections, each a byte stream of its
 * own, cut into frames. This layer only cuts and joins frames; it knows
 * nothing of ttrpc or of what the bytes mean.
 *
 * Wire facts, checked against containerd/nri v0.6.1
 * (pkg/net/multiplex/mux.go and ttrpc.go):
 *   - a frame is an 8-byte header, then the payload: bytes 0-3 the
 *     connection id, bytes 4-7 the payload length, both unsigned 32-bit
 *     big-endian;
 *   - the sender refuses payloads over 1 << 24 bytes (16 MiB);
 *   - connection 0 is reserved; 1 is the plugin service (the runtime
 *     calls the plugin there: Configure, CreateContainer, ...), 2 the
 *     runtime service (the plugin calls the runtime there:
 *     RegisterPlugin, UpdateContainers). The plugin side uses the same
 *     ids; nothing is signalled when a connection is "opened";
 *   - the Go receiver hands each frame as one read to ttrpc, whose 4096-byte
 *     bufio reader fails on a frame larger than the read it is given, and
 *     silently drops the excess of a frame that runs past the message being
 *     read. So a sender keeps every frame within one ttrpc message and at
 *     most NRI_MUX_SEND_MAX bytes (nri_mux_encode()'s callers do).
 * Unlike the Go receiver, which drops frames for connections it has not
 * opened, this decoder refuses any id but 1 and 2: the runtime sends no
 * other. */
#ifndef NH_NRI_MUX_H
#define NH_NRI_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define NRI_MUX_HEADER_LEN 8
#define NRI_MUX_PAYLOAD_MAX (1u << 24)
/* The largest frame payload we send (see above). */
#define NRI_MUX_SEND_MAX 4096u

enum nri_conn_id {
	NRI_CONN_PLUGIN = 1,  /* the plugin service: the runtime's requests */
	NRI_CONN_RUNTIME = 2, /* the runtime service: the plugin's requests */
};

/* "plugin service" / "runtime service" / "unknown". */
const char *nri_conn_name(uint32_t conn);

/* The incremental decoder: feed it the socket's bytes as they come, in
 * pieces of any size. */
typedef struct nri_mux_dec {
	uint8_t hdr[NRI_MUX_HEADER_LEN];
	size_t hdr_have; /* bytes of the current header seen */
	uint32_t conn;	 /* the current frame's connection */
	uint32_t left;	 /* its payload bytes still to come */
	bool in_payload; /* the header is complete */
	uint64_t offset; /* bytes consumed so far, for messages */
} nri_mux_dec_t;

/* A piece of one frame's payload, pointing into the bytes fed. A frame's
 * payload may come as several chunks; frame_end marks the last one (an
 * empty frame is one empty chunk with frame_end). */
typedef struct nri_mux_chunk {
	uint32_t conn;
	const uint8_t *data;
	size_t len;
	bool frame_end;
} nri_mux_chunk_t;

void nri_mux_dec_init(nri_mux_dec_t *d);

/* Decode from in[0..len): take header bytes and at most one chunk of
 * payload. *used is set to the bytes taken (call again with the rest);
 * *have_chunk tells whether chunk was filled. Returns 0, or -1 with err
 * (exit class NH_EXIT_INVALID) for a reserved or unknown connection id or a
 * payload over NRI_MUX_PAYLOAD_MAX; the decoder is then unusable. */
int nri_mux_decode(nri_mux_dec_t *d, const uint8_t *in, size_t len, size_t *used,
		   nri_mux_chunk_t *chunk, bool *have_chunk, nh_error_t *err);

/* Whether the decoder stands between frames (at EOF: nothing was cut). */
bool nri_mux_dec_idle(const nri_mux_dec_t *d);

/* A frame header for len payload bytes on conn. */
void nri_mux_encode_header(uint8_t out[NRI_MUX_HEADER_LEN], uint32_t conn, uint32_t len);

/* The frames for data (one ttrpc message) on conn, at most NRI_MUX_SEND_MAX
 * payload bytes each, into a new buffer *out of *out_len bytes. 0, or -1
 * with err (out of memory, or len over 4 GiB). */
int nri_mux_encode(uint32_t conn, const uint8_t *data, size_t len, uint8_t **out,
		   size_t *out_len, nh_error_t *err);

#endif
