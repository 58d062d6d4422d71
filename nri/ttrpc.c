/* SPDX-License-Identifier: Apache-2.0 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nri/be32.h"
#include "nri/ttrpc.h"


void nri_ttrpc_header_encode(uint8_t out[NRI_TTRPC_HEADER_LEN], const nri_ttrpc_header_t *h)
{
	put_be32(out, h->length);
	put_be32(out + 4, h->stream_id);
	out[8] = h->type;
	out[9] = h->flags;
}

int nri_ttrpc_header_decode(const uint8_t in[NRI_TTRPC_HEADER_LEN], nri_ttrpc_header_t *h,
			    nh_error_t *err)
{
	h->length = get_be32(in);
	h->stream_id = get_be32(in + 4);
	h->type = in[8];
	h->flags = in[9];
	if (h->type == NRI_TTRPC_DATA)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "ttrpc: data message on stream %u: streaming calls are not "
			       "supported (NRI's calls are unary)",
			       h->stream_id);
	if (h->type != NRI_TTRPC_REQUEST && h->type != NRI_TTRPC_RESPONSE)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "ttrpc: message of unknown type 0x%02x on stream %u (1 request, "
			       "2 response, 3 data)",
			       h->type, h->stream_id);
	if (h->length > NRI_TTRPC_DATA_MAX)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "ttrpc: %s on stream %u announces %u bytes, more than ttrpc's "
			       "maximum of %u",
			       h->type == NRI_TTRPC_REQUEST ? "request" : "response", h->stream_id,
			       h->length, NRI_TTRPC_DATA_MAX);
	if (h->stream_id == 0)
		return nh_fail(err, NH_EXIT_INVALID, 0, "ttrpc: %s on stream 0",
			       h->type == NRI_TTRPC_REQUEST ? "request" : "response");
	return 0;
}

void nri_ttrpc_dec_init(nri_ttrpc_dec_t *d)
{
	memset(d, 0, sizeof(*d));
}

void nri_ttrpc_dec_free(nri_ttrpc_dec_t *d)
{
	free(d->data);
	nri_ttrpc_dec_init(d);
}

bool nri_ttrpc_dec_idle(const nri_ttrpc_dec_t *d)
{
	return d->hdr_have == 0 && !d->in_data;
}

int nri_ttrpc_decode(nri_ttrpc_dec_t *d, const uint8_t *in, size_t len, size_t *used,
		     nri_ttrpc_msg_t *msg, bool *complete, nh_error_t *err)
{
	size_t pos = 0, take;

	*used = 0;
	*complete = false;
	if (!d->in_data) {
		take = NRI_TTRPC_HEADER_LEN - d->hdr_have;
		if (take > len)
			take = len;
		memcpy(d->hdr + d->hdr_have, in, take);
		d->hdr_have += take;
		pos = take;
		*used = pos;
		if (d->hdr_have < NRI_TTRPC_HEADER_LEN)
			return 0;
		if (nri_ttrpc_header_decode(d->hdr, &d->h, err) < 0)
			return -1;
		free(d->data);
		/* At most NRI_TTRPC_DATA_MAX, checked above. */
		d->data = malloc(d->h.length ? d->h.length : 1);
		if (!d->data)
			return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "ttrpc: %u bytes for a message",
				       d->h.length);
		d->data_have = 0;
		d->hdr_have = 0;
		d->in_data = true;
	}
	take = len - pos;
	if (take > d->h.length - d->data_have)
		take = d->h.length - d->data_have;
	if (take)
		memcpy(d->data + d->data_have, in + pos, take);
	d->data_have += take;
	pos += take;
	*used = pos;
	if (d->data_have < d->h.length)
		return 0;
	d->in_data = false;
	msg->h = d->h;
	msg->data = d->data;
	msg->len = d->h.length;
	*complete = true;
	return 0;
}

int nri_ttrpc_encode(const nri_ttrpc_header_t *h, const uint8_t *data, uint8_t **out,
		     size_t *out_len, nh_error_t *err)
{
	uint8_t *buf;

	if (h->length > NRI_TTRPC_DATA_MAX)
		return nh_fail(err, NH_EXIT_INVALID, 0,
			       "ttrpc: a message of %u bytes is over ttrpc's maximum of %u",
			       h->length, NRI_TTRPC_DATA_MAX);
	buf = malloc(NRI_TTRPC_HEADER_LEN + (size_t)h->length);
	if (!buf)
		return nh_fail(err, NH_EXIT_SYSTEM, ENOMEM, "ttrpc: %u bytes to send", h->length);
	nri_ttrpc_header_encode(buf, h);
	if (h->length)
		memcpy(buf + NRI_TTRPC_HEADER_LEN, data, h->length);
	*out = buf;
	*out_len = NRI_TTRPC_HEADER_LEN + (size_t)h->length;
	return 0;
}

int nri_ttrpc_request_pack(const char *service, const char *method, const uint8_t *payload,
			   size_t payload_len, int64_t timeout_nano, uint8_t **out,
			   size_t *out_len, nh_error_t *err)
{
	Ttrpc__Request req = TTRPC__REQUEST__INIT;

	req.service = (char *)service;
	req.method = (char *)method;
	req.payload.data = (uint8_t *)payload;
	req.payload.len = payload_len;
	req.timeout_nano = timeout_nano;
	return nri_pb_pack(&req, out, out_len, err);
}

int nri_ttrpc_response_pack(int32_t code, const char *message, const uint8_t *payload,
			    size_t payload_len, uint8_t **out, size_t *out_len, nh_error_t *err)
{
	Ttrpc__Response rsp = TTRPC__RESPONSE__INIT;
	Ttrpc__Status status = TTRPC__STATUS__INIT;

	status.code = code;
	status.message = (char *)(message ? message : "");
	/* As ttrpc's server does: a status always, code 0 on success. */
	rsp.status = &status;
	rsp.payload.data = (uint8_t *)payload;
	rsp.payload.len = payload_len;
	return nri_pb_pack(&rsp, out, out_len, err);
}

int nri_ttrpc_request_unpack(nri_pb_t *pb, const uint8_t *data, size_t len,
			     Ttrpc__Request **out, nh_error_t *err)
{
	Ttrpc__Request *req;

	if (nri_pb_unpack(pb, &ttrpc__request__descriptor, data, len, &req, err) < 0)
		return nh_prefix(err, "ttrpc request");
	if (req->service[0] == '\0' || req->method[0] == '\0') {
		const char *what = req->service[0] ? "method" : "service";

		nri_pb_free(pb, req);
		return nh_fail(err, NH_EXIT_INVALID, 0, "ttrpc request names no %s", what);
	}
	*out = req;
	return 0;
}

int nri_ttrpc_response_unpack(nri_pb_t *pb, const uint8_t *data, size_t len,
			      Ttrpc__Response **out, nh_error_t *err)
{
	if (nri_pb_unpack(pb, &ttrpc__response__descriptor, data, len, out, err) < 0)
		return nh_prefix(err, "ttrpc response");
	return 0;
}
