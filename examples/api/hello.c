/*
 * A program that uses libvmsim: boot the built-in 32-bit machine (1 GiB, so
 * ~140 MiB of it is high memory), take a block from high memory and a page
 * from the DMA zone, and print /proc/buddyinfo
 * before and after.
 *
 * Build against an installed vmsim:
 *     cc hello.c $(pkg-config --cflags --libs vmsim) -o hello
 */
#include <stdint.h>
#include <stdio.h>

#include <vmsim/vmsim.h>

int main(void)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_32", NULL, &err);
	uint64_t high, dma;

	if (!m) {
		fprintf(stderr, "hello: %s\n", err.msg);
		return 2;
	}
	printf("after boot:\n");
	vmsim_show(m, "buddyinfo", 0, stdout);
	if (vmsim_alloc_pages(m, "GFP_HIGHUSER", 3, &high) ||
	    vmsim_alloc_pages(m, "GFP_DMA", 0, &dma)) {
		fprintf(stderr, "hello: out of simulated memory\n");
		vmsim_machine_destroy(m);
		return 1;
	}
	printf("order-3 block at pfn %#llx, DMA page at pfn %#llx:\n",
	       (unsigned long long)high, (unsigned long long)dma);
	vmsim_show(m, "buddyinfo", 0, stdout);
	vmsim_free_pages(m, high, 3);
	vmsim_free_pages(m, dma, 0);
	vmsim_machine_destroy(m);
	return 0;
}
