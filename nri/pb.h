/* SPDX-License-Identifier: Apache-2.0 */
/* Protobuf messages of NRI and of ttrpc's envelope, through protobuf-c,
 * with one-line errors and a memory budget: unpacking allocates a few
 * times the input (an empty submessage is 2 bytes on the wire and a
 * struct of dozens of bytes in memory), so every unpack draws from a
 * budget and fails, cleanly, when it runs out.
 *
 * The C types come from protoc-c and our own subsets nri/nri.proto (NRI's
 * API, field numbers of containerd/nri v0.6.1 pkg/api/api.proto) and
 * nri/ttrpc.proto (containerd/ttrpc v1.2.3 request.proto). A field that is
 * absent unpacks as its zero value: NULL for a message, "" for a string
 * (protobuf_c_empty_string), 0 for a number. protobuf-c checks neither
 * UTF-8 nor embedded NUL bytes in strings: a string ends at its first NUL
 * for C, whatever came after it on the wire. */
#ifndef NH_NRI_PB_H
#define NH_NRI_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/error.h"
#include "nri/nri.pb-c.h"
#include "nri/ttrpc.pb-c.h"

/* What one connection may hold unpacked at a time. */
#define NRI_PB_BUDGET_DEFAULT (64u << 20)

typedef struct nri_pb {
	ProtobufCAllocator alloc; /* allocator_data points back here */
	size_t used, limit;	  /* bytes held, with bookkeeping */
	bool exhausted;		  /* an allocation was refused */
} nri_pb_t;

void nri_pb_init(nri_pb_t *pb, size_t limit);

/* Unpack data as a desc message into *out (free it with nri_pb_free). 0, or
 * -1 with err (NH_EXIT_INVALID: "malformed nri.NAME message (N bytes)";
 * NH_EXIT_SYSTEM: the budget ran out). */
int nri_pb_unpack(nri_pb_t *pb, const ProtobufCMessageDescriptor *desc, const uint8_t *data,
		  size_t len, void *out, nh_error_t *err);
void nri_pb_free(nri_pb_t *pb, void *msg);

/* Pack msg (any protobuf-c message) into a new buffer; an empty message
 * gives *out_len 0 and a valid buffer. */
int nri_pb_pack(const void *msg, uint8_t **out, size_t *out_len, nh_error_t *err);

/* The message's full name ("nri.CreateContainerRequest") for messages. */
const char *nri_pb_name(const ProtobufCMessageDescriptor *desc);

#endif
