/*
 * Zeroing one frame (the kernel's clear_page()), as the page allocator does
 * it for __GFP_ZERO: streaming (non-temporal) stores write the frame
 * without reading it into the cache first and without evicting what the
 * simulator itself keeps hot there (the TLB arrays, the CPU, the tables
 * the next walk reads): a frame zeroed for a fault is rarely read back at
 * once.  A header so that bench_fault can time the very same stores.
 */
#ifndef VMSIM_PHYS_CLEAR_FRAME_H
#define VMSIM_PHYS_CLEAR_FRAME_H

#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "phys/page.h"

static inline void clear_frame(void *p)
{
#ifdef __SSE2__
	__m128i z = _mm_setzero_si128();
	__m128i *q = p;

	for (size_t i = 0; i < PAGE_SIZE / sizeof(*q); i += 4) {
		_mm_stream_si128(q + i, z);
		_mm_stream_si128(q + i + 1, z);
		_mm_stream_si128(q + i + 2, z);
		_mm_stream_si128(q + i + 3, z);
	}
	_mm_sfence();
#else
	memset(p, 0, PAGE_SIZE);
#endif
}

#endif
