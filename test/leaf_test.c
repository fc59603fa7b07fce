/*-------------------------------------------------------------------------
 *
 * leaf_test.c
 *	  Standalone unit test of the leaf entry codec (learned_leaf_key,
 *	  learned_leaf_set_key, learned_leaf_tid, learned_leaf_set_tid and the
 *	  capacity rule in learned.h), with no server.
 *
 * For every format (key offsets of 1 to 8 bytes, heap blocks of 16 to 32
 * bits, heap offsets of 8 to 16 bits) it fills a page to its capacity with
 * random entries whose fields reach their widths' limits, writing them in
 * a scrambled order, then rewrites a scrambled third of them, and checks:
 * every entry reads back as written, the arrays end where pd_lower and
 * pd_upper say, and no byte outside the key array and the TID array
 * changed (every TID store rewrites eight bytes around its bits; the rest
 * must keep their values).  Heap blocks past 2^16, which no test table
 * reaches, are covered here.
 *
 * Prints "N passed, M failed" (N, M: formats); exits 0 only if M == 0.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>

#include "learned.h"

/* Standalone: the C library's printf, not libpgport's (port.h). */
#undef printf

static uint64 rng = UINT64CONST(0x9E3779B97F4A7C15);

static uint64
next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A random value of at most nbits bits, often one at the limits. */
static uint64
random_field(int nbits)
{
	uint64		max = nbits >= 64 ? PG_UINT64_MAX : (UINT64CONST(1) << nbits) - 1;

	switch (next_random() % 4)
	{
		case 0:
			return max;
		case 1:
			return 0;
		default:
			return next_random() & max;
	}
}

static union
{
	char		data[BLCKSZ];
	double		align;
}			page_buf, pattern_buf;

static int64 keys[LEARNED_LEAF_MAX_CAPACITY];
static ItemPointerData tids[LEARNED_LEAF_MAX_CAPACITY];
static int	order[LEARNED_LEAF_MAX_CAPACITY];

static void
random_entry(const LearnedLeafFormat *f, int64 base, int i)
{
	keys[i] = (int64) ((uint64) base + random_field(8 * f->key_bytes));
	ItemPointerSet(&tids[i], (BlockNumber) random_field(f->block_bits),
				   (OffsetNumber) random_field(f->offnum_bits));
}

static void
write_entry(Page page, int i)
{
	learned_leaf_set_key(page, i, keys[i]);
	learned_leaf_set_tid(page, i, &tids[i]);
}

static void
shuffle(int n)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--)
	{
		int			j = (int) (next_random() % (uint64) (i + 1));
		int			t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

/* Fill, rewrite and check one format; returns the failure or NULL. */
static const char *
check_format(const LearnedLeafFormat *f)
{
	Page		page = page_buf.data;
	PageHeader	header = (PageHeader) page;
	int			n = learned_leaf_format_capacity(f);
	Size		special = BLCKSZ - MAXALIGN(sizeof(LearnedPageOpaqueData));
	Size		keys_end;
	Size		tids_start;
	int64		base = (int64) (next_random() % 2 ? PG_INT64_MIN : -12345);
	LearnedPageOpaque opaque;

	/* Every byte a pattern, then the header and special space set. */
	for (int b = 0; b < BLCKSZ; b++)
		pattern_buf.data[b] = (char) next_random();
	memcpy(page, pattern_buf.data, BLCKSZ);
	header->pd_special = (LocationIndex) special;
	opaque = LearnedPageGetOpaque(page);
	opaque->flags = LEARNED_PAGE_LEAF;
	opaque->low_fence.key = base;
	opaque->format = *f;
	keys_end = MAXALIGN(SizeOfPageHeaderData) + (Size) n * f->key_bytes;
	tids_start = special - learned_leaf_tid_array_size(f, n);
	if (keys_end > tids_start)
		return "capacity: the arrays overlap";
	header->pd_lower = (LocationIndex) keys_end;
	header->pd_upper = (LocationIndex) tids_start;
	if (LearnedLeafCount(page) != n)
		return "pd_lower does not give the count back";
	memcpy(pattern_buf.data, page, BLCKSZ);

	for (int i = 0; i < n; i++)
		random_entry(f, base, i);
	shuffle(n);
	for (int i = 0; i < n; i++)
		write_entry(page, order[i]);
	shuffle(n);
	for (int i = 0; i < n / 3; i++)
	{
		random_entry(f, base, order[i]);
		write_entry(page, order[i]);
	}

	for (int i = 0; i < n; i++)
	{
		ItemPointerData tid = learned_leaf_tid(page, i);

		if (learned_leaf_key(page, i) != keys[i])
			return "a key reads back changed";
		if (ItemPointerGetBlockNumberNoCheck(&tid) !=
			ItemPointerGetBlockNumberNoCheck(&tids[i]) ||
			ItemPointerGetOffsetNumberNoCheck(&tid) !=
			ItemPointerGetOffsetNumberNoCheck(&tids[i]))
			return "a TID reads back changed";
	}
	for (Size b = 0; b < BLCKSZ; b++)
		if ((b < MAXALIGN(SizeOfPageHeaderData) || b >= keys_end) &&
			(b < tids_start || b >= special) &&
			page[b] != pattern_buf.data[b])
			return "a byte outside the arrays changed";
	return NULL;
}

int
main(void)
{
	long		nformats = 0;
	long		nfailed = 0;
	LearnedLeafFormat f;

	for (int kb = 1; kb <= 8; kb++)
		for (int bb = LEARNED_MIN_BLOCK_BITS; bb <= 32; bb++)
			for (int ob = LEARNED_MIN_OFFNUM_BITS; ob <= 16; ob++)
			{
				const char *why;

				f.key_bytes = kb;
				f.block_bits = bb;
				f.offnum_bits = ob;
				nformats++;
				why = learned_leaf_format_valid(&f) ? check_format(&f) :
					"a format the code writes is not valid";
				if (why != NULL)
				{
					nfailed++;
					if (nfailed <= 20)
						printf("FAIL key %d bytes, block %d bits, offset %d bits: %s\n",
							   kb, bb, ob, why);
				}
			}
	printf("%ld passed, %ld failed\n", nformats - nfailed, nfailed);
	return nfailed == 0 ? 0 : 1;
}
