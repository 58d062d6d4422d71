/* SPDX-License-Identifier: Apache-2.0 */
/* Big-endian 32-bit fields, as NRI's multiplexer and ttrpc put them on the
 * wire. */
#ifndef NH_NRI_BE32_H
#define NH_NRI_BE32_H

#include <stdint.h>

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
