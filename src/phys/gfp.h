/*
 * GFP flags: how an allocation may be satisfied.  Values and names follow
 * include/linux/gfp_types.h; the zone modifiers pick the highest zone an
 * allocation may use (gfp_zone()), and the zonelist falls back downward.
 */
#ifndef VMSIM_PHYS_GFP_H
#define VMSIM_PHYS_GFP_H

typedef unsigned int gfp_t;

#define __GFP_DMA		0x01u
#define __GFP_HIGHMEM		0x02u
#define __GFP_DMA32		0x04u
#define __GFP_MOVABLE		0x08u
#define __GFP_RECLAIMABLE	0x10u
#define __GFP_HIGH		0x20u	/* may dip into the min reserve (ALLOC_MIN_RESERVE) */
#define __GFP_IO		0x40u
#define __GFP_FS		0x80u
#define __GFP_ZERO		0x100u
#define __GFP_DIRECT_RECLAIM	0x400u
#define __GFP_KSWAPD_RECLAIM	0x800u
#define __GFP_NOWARN		0x2000u
#define __GFP_RETRY_MAYFAIL	0x4000u	/* try hard, but fail rather than OOM-kill */
#define __GFP_NOFAIL		0x8000u	/* never fail: retry (and charge) regardless */
#define __GFP_NORETRY		0x10000u /* one light reclaim attempt, no OOM killer */
#define __GFP_COMP		0x40000u
#define __GFP_MEMALLOC		0x20000u /* ignore watermarks (ALLOC_NO_WATERMARKS) */
#define __GFP_NOMEMALLOC	0x80000u
#define __GFP_HARDWALL		0x100000u
#define __GFP_THISNODE		0x200000u /* this node only, no fallback */
#define __GFP_ACCOUNT		0x400000u

#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_ATOMIC	(__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_NOWAIT	(__GFP_KSWAPD_RECLAIM | __GFP_NOWARN)
#define GFP_NOIO	(__GFP_RECLAIM)
#define GFP_USER	(__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA		__GFP_DMA
#define GFP_DMA32	__GFP_DMA32
#define GFP_HIGHUSER	(GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
/* a transparent huge page: compound, no reserves, no warning; LIGHT
 * neither reclaims nor compacts, the other may stall in direct reclaim */
#define GFP_TRANSHUGE_LIGHT ((GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | \
			      __GFP_NOWARN) & ~__GFP_RECLAIM)
#define GFP_TRANSHUGE	(GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM)

#endif
