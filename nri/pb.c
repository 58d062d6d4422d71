/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nri/pb.h"

/* Each allocation carries its size in front, so that free can give it
 * back to the budget; 16 bytes keep the memory aligned for any type. */
#define PB_PREFIX 16

static void *budget_alloc(void *data, size_t size)
{
	nri_pb_t *pb = data;
	unsigned char *p;

	if (size > pb->limit - pb->used || PB_PREFIX > pb->limit - pb->used - size) {
		pb->exhausted = true;
		return NULL;
	}
	p = malloc(size + PB_PREFIX);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	pb->used += size + PB_PREFIX;
	return p + PB_PREFIX;
}

static void budget_free(void *data, void *ptr)
{
	nri_pb_t *pb = data;
	unsigned char *p;
	size_t size;

	if (!ptr)
		return;
	p = (unsigned char *)ptr - PB_PREFIX;
	memcpy(&size, p, sizeof(size));
	pb->used -= size + PB_PREFIX;
	free(p);
}

void nri_pb_init(nri_pb_t *pb, size_t limit)
{
	memset(pb, 0, sizeof(*pb));
	pb->alloc.alloc = budget_alloc;
	pb->alloc.free = budget_free;
	pb->alloc.allocator_data = pb;
	pb->limit = limit;
}

const char *nri_pb_name(const ProtobufCMessageDescriptor *desc)
{
	return desc->name;
}

int nri_pb_unpack(nri_pb_t *pb, const ProtobufCMessageDescriptor *desc, const uint8_t *data,
		  size_t len, void *out, nh_error_t *err)
{
	ProtobufCMessage *msg;

	pb->exhausted = false;
	msg = protobuf_c_message_unpack(desc, &pb->alloc, len, data);
	if (!msg) {
		if (pb->exhausted)
			return nh_fail(err, NH_EXIT_SYSTEM, 0,
				       "%s message of %zu bytes: decoding it needs more than the "
				       "%zu MiB allowed",
				       nri_pb_name(desc), len, pb->limit >> 20);
		return nh_fail(err, NH_EXIT_INVALID, 0, "malformed %s message (%zu bytes)",
			       nri_pb_name(desc), len);
	}
	*(ProtobufCMessage **)out = msg;
	return 0;
}

void nri_pb_free(nri_pb_t *pb, void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, &pb->alloc);
}

int nri_pb_pack(const void *msg, uint8_t **out, size_t *out_len, nh_error_t *err)
{
	const ProtobufCMessage *m = msg;
	size_t size = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "%s message of %zu bytes",
			       nri_pb_name(m->descriptor), size);
	if (protobuf_c_message_pack(m, buf) != size) {
		free(buf);
		return nh_fail(err, NH_EXIT_SYSTEM, 0, "%s message: packing it went wrong",
			       nri_pb_name(m->descriptor));
	}
	*out = buf;
	*out_len = size;
	return 0;
}
