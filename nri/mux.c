/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nri/be32.h"
#include "nri/mux.h"


const char *nri_conn_name(uint32_t conn)
{
	switch (conn) {
	case NRI_CONN_PLUGIN:
		return "plugin service";
	case NRI_CONN_RUNTIME:
		return "runtime service";
	default:
		return "unknown";
	}
}

void nri_mux_dec_init(nri_mux_dec_t *d)
{
	memset(d, 0, sizeof(*d));
}

bool nri_mux_dec_idle(const nri_mux_dec_t *d)
{
	return d->hdr_have == 0 && !d->in_payload;
}

int nri_mux_decode(nri_mux_dec_t *d, const uint8_t *in, size_t len, size_t *used,
		   nri_mux_chunk_t *chunk, bool *have_chunk, nh_error_t *err)
{
	size_t pos = 0;

	*used = 0;
	*have_chunk = false;
	if (!d->in_payload) {
		size_t take = NRI_MUX_HEADER_LEN - d->hdr_have;

		if (take > len)
			take = len;
		memcpy(d->hdr + d->hdr_have, in, take);
		d->hdr_have += take;
		pos = take;
		if (d->hdr_have < NRI_MUX_HEADER_LEN) {
			*used = pos;
			d->offset += pos;
			return 0;
		}
		d->conn = get_be32(d->hdr);
		d->left = get_be32(d->hdr + 4);
		if (d->conn != NRI_CONN_PLUGIN && d->conn != NRI_CONN_RUNTIME)
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "NRI connection: frame at byte %llu is for connection %u, "
				       "not 1 (plugin service) or 2 (runtime service)",
				       (unsigned long long)d->offset, d->conn);
		if (d->left > NRI_MUX_PAYLOAD_MAX)
			return nh_fail(err, NH_EXIT_INVALID, 0,
				       "NRI connection: frame at byte %llu announces %u payload "
				       "bytes, more than the multiplexer's %u",
				       (unsigned long long)d->offset, d->left,
				       NRI_MUX_PAYLOAD_MAX);
		d->in_payload = true;
		d->hdr_have = 0;
	}

	/* The payload: as much of it as is here, possibly nothing. */
	size_t take = len - pos;

	if (take > d->left)
		take = d->left;
	if (take == 0 && d->left != 0) {
		*used = pos;
		d->offset += pos;
		return 0;
	}
	chunk->conn = d->conn;
	chunk->data = in + pos;
	chunk->len = take;
	d->left -= (uint32_t)take;
	chunk->frame_end = d->left == 0;
	if (chunk->frame_end)
		d->in_payload = false;
	*have_chunk = true;
	pos += take;
	*used = pos;
	d->offset += pos;
	return 0;
}

void nri_mux_encode_header(uint8_t out[NRI_MUX_HEADER_LEN], uint32_t conn, uint32_t len)
{
	put_be32(out, conn);
	put_be32(out + 4, len);
}

int nri_mux_encode(uint32_t conn, const uint8_t *data, size_t len, uint8_t **out,
		   size_t *out_len, nh_error_t *err)
{
	size_t frames = len == 0 ? 1 : (len + NRI_MUX_SEND_MAX - 1) / NRI_MUX_SEND_MAX;
	size_t total, o = 0;
	uint8_t *buf;

	if (len > UINT32_MAX)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "NRI connection: a message of %zu bytes is too large to send", len);
	total = len + frames * NRI_MUX_HEADER_LEN;
	buf = malloc(total);
	if (!buf)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "NRI connection: %zu bytes to send",
			       total);
	for (size_t i = 0; i < frames; i++) {
		size_t n = len - i * NRI_MUX_SEND_MAX;

		if (n > NRI_MUX_SEND_MAX)
			n = NRI_MUX_SEND_MAX;
		nri_mux_encode_header(buf + o, conn, (uint32_t)n);
		o += NRI_MUX_HEADER_LEN;
		if (n)
			memcpy(buf + o, data + i * NRI_MUX_SEND_MAX, n);
		o += n;
	}
	*out = buf;
	*out_len = total;
	return 0;
}
