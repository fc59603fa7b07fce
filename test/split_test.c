/*-------------------------------------------------------------------------
 *
 * split_test.c
 *	  Standalone unit test of the leaf split planner (learned_split_plan in
 *	  learned_format.c), linked with that file alone.
 *
 * Builds valid full leaves at every format boundary (keys whose offsets need
 * 1 to 8 bytes, on the leftmost leaf's base INT64_MIN, near zero and up to
 * INT64_MAX; pages of one repeated key; dates and timestamps with
 * 'infinity'; heap offsets up to 255 and 291 and heap blocks up to 2^16 - 1,
 * 2^16 + 1 and 2^24 + 1; rightmost and inner leaves), inserts a new entry
 * (keys at offsets 2^8 .. 2^56 beyond the last, INT64_MIN/MAX, infinities,
 * every heap offset 1..291, blocks 2^16 - 1 .. 2^16 + 1, 2^24 + 1 and the
 * largest block number) and plans the split at every
 * fillfactor from 10 to 100 in steps of 10.  Every plan is checked with code
 * that shares nothing with the planner: both pages hold their entries in
 * their formats and within their capacities, the fence lies after the left
 * page's last entry and at or before the right page's first (TID minus
 * infinity exactly when the keys differ), and a half split that fits is the
 * one chosen when the new entry is not the last.
 *
 * Prints a summary and "N passed, M failed" (N, M: plans); exits 0 only if
 * M == 0.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>

#include "learned.h"

/* Standalone: the C library's printf, not libpgport's (port.h). */
#undef printf

#define MAX_REPORTED	20

static long nplans;
static long nfailed;
static long nfar;				/* plans whose split moved off its target */

/* Bytes an unsigned value needs, at least 1 (not learned_format.c's). */
static int
need_bytes(uint64 value)
{
	int			nbytes = 1;

	while (nbytes < 8 && (value >> (8 * nbytes)) != 0)
		nbytes++;
	return nbytes;
}

/* Bits an unsigned value needs, at least 1. */
static int
need_bits(uint64 value)
{
	int			nbits = 1;

	while (nbits < 64 && (value >> nbits) != 0)
		nbits++;
	return nbits;
}

static bool
entry_fits(const LearnedLeafFormat *f, int64 base, int64 key, const ItemPointerData *tid)
{
	return key >= base &&
		need_bytes((uint64) key - (uint64) base) <= f->key_bytes &&
		need_bits(ItemPointerGetBlockNumberNoCheck(tid)) <= f->block_bits &&
		need_bits(ItemPointerGetOffsetNumberNoCheck(tid)) <= f->offnum_bits;
}

/* (key, tid) order; a TID with offset 0 is minus infinity. */
static int
entry_cmp(int64 k1, const ItemPointerData *t1, int64 k2, const ItemPointerData *t2)
{
	uint64		a;
	uint64		b;

	if (k1 != k2)
		return k1 < k2 ? -1 : 1;
	a = ((uint64) ItemPointerGetBlockNumberNoCheck(t1) << 16) | ItemPointerGetOffsetNumberNoCheck(t1);
	b = ((uint64) ItemPointerGetBlockNumberNoCheck(t2) << 16) | ItemPointerGetOffsetNumberNoCheck(t2);
	if (ItemPointerGetOffsetNumberNoCheck(t1) == 0)
		a = 0;
	if (ItemPointerGetOffsetNumberNoCheck(t2) == 0)
		b = 0;
	return a < b ? -1 : (a > b ? 1 : 0);
}

/* Narrowest format of entries [from, to) on base (not learned_format.c's). */
static LearnedLeafFormat
narrowest(const int64 *keys, const ItemPointerData *tids, int from, int to, int64 base)
{
	LearnedLeafFormat f = {1, LEARNED_MIN_BLOCK_BITS, LEARNED_MIN_OFFNUM_BITS};

	for (int i = from; i < to; i++)
	{
		f.key_bytes = Max(f.key_bytes, need_bytes((uint64) keys[i] - (uint64) base));
		f.block_bits = Max(f.block_bits, need_bits(ItemPointerGetBlockNumberNoCheck(&tids[i])));
		f.offnum_bits = Max(f.offnum_bits, need_bits(ItemPointerGetOffsetNumberNoCheck(&tids[i])));
	}
	return f;
}

/*
 * The most entries a page of format f holds: keys in whole bytes, TIDs
 * bit-packed, and 7 bits kept for the TIDs' last byte, as learned.h's
 * capacity rule has it.
 */
static int
capacity(const LearnedLeafFormat *f)
{
	int			n = 0;

	while ((long) (n + 1) * (8 * f->key_bytes + f->block_bits + f->offnum_bits) + 7 <=
		   8L * LEARNED_CONTENTS_SIZE)
		n++;
	return n;
}

static void
fail(const char *what, const char *why, int total, int newpos, int ff)
{
	nfailed++;
	if (nfailed <= MAX_REPORTED)
		printf("FAIL %s: %s (entries %d, new at %d, fillfactor %d)\n",
			   what, why, total, newpos, ff);
}

/* Plan one split and check it. */
static void
check_plan(const char *what, const int64 *keys, const ItemPointerData *tids,
		   int total, int newpos, int64 base, bool rightmost, int64 high_key,
		   int ff)
{
	LearnedSplitPlan plan;
	int			k;
	LearnedLeafFormat lf;
	LearnedLeafFormat rf;

	nplans++;
	if (!learned_split_plan(keys, tids, total, newpos, base, rightmost,
							high_key, ff, &plan))
	{
		fail(what, "no plan", total, newpos, ff);
		return;
	}
	k = plan.nleft;
	if (k < 1 || k >= total)
	{
		fail(what, "split point out of range", total, newpos, ff);
		return;
	}
	if (!learned_leaf_format_valid(&plan.left_format) ||
		!learned_leaf_format_valid(&plan.right_format))
		fail(what, "invalid format", total, newpos, ff);
	if (k > capacity(&plan.left_format))
		fail(what, "left page overfull", total, newpos, ff);
	if (total - k > capacity(&plan.right_format))
		fail(what, "right page overfull", total, newpos, ff);
	for (int i = 0; i < k; i++)
		if (!entry_fits(&plan.left_format, base, keys[i], &tids[i]))
		{
			fail(what, "left entry does not fit its format", total, newpos, ff);
			break;
		}
	for (int i = k; i < total; i++)
		if (!entry_fits(&plan.right_format, plan.fence.key, keys[i], &tids[i]))
		{
			fail(what, "right entry does not fit its format", total, newpos, ff);
			break;
		}
	if (entry_cmp(plan.fence.key, &plan.fence.tid, keys[k - 1], &tids[k - 1]) <= 0)
		fail(what, "fence not after the left page's last entry", total, newpos, ff);
	if (entry_cmp(plan.fence.key, &plan.fence.tid, keys[k], &tids[k]) > 0)
		fail(what, "fence after the right page's first entry", total, newpos, ff);
	if ((ItemPointerGetOffsetNumberNoCheck(&plan.fence.tid) == 0) !=
		(keys[k - 1] < keys[k]))
		fail(what, "fence TID minus infinity iff the keys differ: broken", total, newpos, ff);
	if (!rightmost && plan.fence.key >= high_key)
		fail(what, "fence at or beyond the high fence", total, newpos, ff);

	/* A half split that fits is chosen when the new entry is not last. */
	lf = narrowest(keys, tids, 0, total / 2, base);
	rf = narrowest(keys, tids, total / 2, total, keys[total / 2]);
	if (newpos < total - 1 && k != total / 2 &&
		total / 2 <= capacity(&lf) && total - total / 2 <= capacity(&rf))
		fail(what, "a fitting half split not chosen", total, newpos, ff);
	if (newpos < total - 1 && k != total / 2)
		nfar++;
}

/*
 * A leaf's entries: n keys from first_key spread up to first_key + span
 * (span 0: one repeated key), TIDs ascending with offsets 1..max_off and
 * blocks ending at last_block.
 */
static void
make_page(int64 *keys, ItemPointerData *tids, int n, int64 first_key,
		  uint64 span, int max_off, BlockNumber last_block)
{
	BlockNumber first_block = last_block - (BlockNumber) ((n - 1) / max_off);

	for (int i = 0; i < n; i++)
	{
		uint64		off = n > 1 ? (span / (uint64) (n - 1)) * (uint64) i : 0;

		if (i == n - 1)
			off = span;
		keys[i] = (int64) ((uint64) first_key + off);
		ItemPointerSet(&tids[i], first_block + (BlockNumber) (i / max_off),
					   (OffsetNumber) (1 + i % max_off));
	}
}

/* Insert (key, tid) into n sorted entries; returns its position, -1 if present. */
static int
insert_entry(const int64 *keys, const ItemPointerData *tids, int n, int64 key,
			 const ItemPointerData *tid, int64 *okeys, ItemPointerData *otids)
{
	int			pos = 0;

	while (pos < n && entry_cmp(keys[pos], &tids[pos], key, tid) < 0)
		pos++;
	if (pos < n && entry_cmp(keys[pos], &tids[pos], key, tid) == 0)
		return -1;
	memcpy(okeys, keys, pos * sizeof(int64));
	memcpy(otids, tids, pos * sizeof(ItemPointerData));
	okeys[pos] = key;
	otids[pos] = *tid;
	memcpy(okeys + pos + 1, keys + pos, (n - pos) * sizeof(int64));
	memcpy(otids + pos + 1, tids + pos, (n - pos) * sizeof(ItemPointerData));
	return pos;
}

static int64 keys0[LEARNED_LEAF_MAX_CAPACITY + 1];
static ItemPointerData tids0[LEARNED_LEAF_MAX_CAPACITY + 1];
static int64 keys1[LEARNED_LEAF_MAX_CAPACITY + 2];
static ItemPointerData tids1[LEARNED_LEAF_MAX_CAPACITY + 2];

/* New keys: offsets from the page's last key, and absolute ones. */
static const uint64 far_offsets[] = {
	0, 1, UINT64CONST(1) << 8, UINT64CONST(1) << 16, UINT64CONST(1) << 24,
	UINT64CONST(1) << 32, UINT64CONST(1) << 40, UINT64CONST(1) << 56
};

/*
 * Every split of one page: new keys at its start, middle and end and far
 * beyond it, with each new TID, at each fillfactor.
 */
static void
split_page(const char *what, int n, int64 base, bool rightmost, int64 high_key,
		   const int64 *extra_keys, int nextra, const ItemPointerData *new_tids,
		   int ntids)
{
	int64		candidates[32];
	int			ncand = 0;

	candidates[ncand++] = keys0[0];
	candidates[ncand++] = keys0[n / 2];
	for (int i = 0; i < (int) lengthof(far_offsets); i++)
	{
		uint64		room = (uint64) PG_INT64_MAX - (uint64) keys0[n - 1];

		if (far_offsets[i] <= room)
			candidates[ncand++] = (int64) ((uint64) keys0[n - 1] + far_offsets[i]);
	}
	candidates[ncand++] = PG_INT64_MAX;
	candidates[ncand++] = PG_INT64_MIN;
	for (int i = 0; i < nextra; i++)
		candidates[ncand++] = extra_keys[i];

	for (int c = 0; c < ncand; c++)
	{
		int64		key = candidates[c];

		if (key < base || (!rightmost && key >= high_key))
			continue;
		for (int t = 0; t < ntids; t++)
		{
			int			pos = insert_entry(keys0, tids0, n, key, &new_tids[t],
										   keys1, tids1);

			if (pos < 0)
				continue;
			if (pos < n)
				check_plan(what, keys1, tids1, n + 1, pos, base, rightmost,
						   high_key, 90);
			else
				for (int ff = 10; ff <= 100; ff += 10)
					check_plan(what, keys1, tids1, n + 1, pos, base,
							   rightmost, high_key, ff);
		}
	}
}

int
main(void)
{
	ItemPointerData new_tids[12];
	int			ntids = 0;
	ItemPointerData every_offset[291];
	static const int max_offs[] = {255, 291};
	static const BlockNumber last_blocks[] = {(1 << 16) - 1, (1 << 16) + 1, (1 << 24) + 1, 7};

	ItemPointerSet(&new_tids[ntids], 0, 1);
	ntids++;
	ItemPointerSet(&new_tids[ntids], 0, 255);
	ntids++;
	ItemPointerSet(&new_tids[ntids], 0, 256);
	ntids++;
	ItemPointerSet(&new_tids[ntids], 3, 291);
	ntids++;
	ItemPointerSet(&new_tids[ntids], (1 << 16) - 1, 1);
	ntids++;
	ItemPointerSet(&new_tids[ntids], 1 << 16, 1);
	ntids++;
	ItemPointerSet(&new_tids[ntids], (1 << 16) + 1, 291);
	ntids++;
	ItemPointerSet(&new_tids[ntids], (1 << 24) + 1, 291);
	ntids++;
	ItemPointerSet(&new_tids[ntids], MaxBlockNumber, 291);
	ntids++;
	for (int i = 0; i < 291; i++)
		ItemPointerSet(&every_offset[i], 5, (OffsetNumber) (i + 1));

	for (int mo = 0; mo < (int) lengthof(max_offs); mo++)
		for (int lb = 0; lb < (int) lengthof(last_blocks); lb++)
		{
			int			max_off = max_offs[mo];
			BlockNumber last_block = last_blocks[lb];

			if ((BlockNumber) (LEARNED_LEAF_MAX_CAPACITY / max_off) > last_block)
				continue;

			/* Keys whose offsets need 1..8 bytes, on four kinds of base. */
			for (int kb = 1; kb <= 8; kb++)
			{
				uint64		span = learned_max_packed(kb);
				int64		bases[3];
				int			nbases = 0;

				bases[nbases++] = PG_INT64_MIN;	/* leftmost leaf */
				bases[nbases++] = -1000;
				if (span < (uint64) PG_INT64_MAX)
					bases[nbases++] = (int64) ((uint64) PG_INT64_MAX - span);	/* up to INT64_MAX */
				for (int b = 0; b < nbases; b++)
				{
					int64		base = bases[b];
					LearnedLeafFormat f;
					int			full;
					int			sizes[2];

					if (base != PG_INT64_MIN && span > (uint64) PG_INT64_MAX - (uint64) base)
						continue;
					/* the page's format, and how many entries fill it */
					make_page(keys0, tids0, LEARNED_LEAF_MAX_CAPACITY, base, span, max_off, last_block);
					f = narrowest(keys0, tids0, 0, LEARNED_LEAF_MAX_CAPACITY, base);
					full = capacity(&f);
					sizes[0] = full;
					sizes[1] = 1;
					for (int s = 0; s < 2; s++)
					{
						int			n = sizes[s];
						int64		last;

						make_page(keys0, tids0, n, base, n > 1 ? span : 0, max_off, last_block);
						last = keys0[n - 1];
						split_page("spread keys, rightmost", n, base, true, 0,
								   NULL, 0, new_tids, ntids);
						if (last < PG_INT64_MAX)
							split_page("spread keys, inner, near fence", n, base,
									   false, last + 1, NULL, 0, new_tids, ntids);
						split_page("spread keys, inner, far fence", n, base,
								   false, PG_INT64_MAX, NULL, 0, new_tids, ntids);
					}
				}
			}

			/* One repeated key, on the leftmost leaf and elsewhere. */
			{
				LearnedLeafFormat f;
				int			n;

				make_page(keys0, tids0, LEARNED_LEAF_MAX_CAPACITY, 1, 0, max_off, last_block);
				f = narrowest(keys0, tids0, 0, LEARNED_LEAF_MAX_CAPACITY, 1);
				n = capacity(&f);
				make_page(keys0, tids0, n, 1, 0, max_off, last_block);
				split_page("repeated key", n, 1, true, 0, NULL, 0, new_tids, ntids);
				split_page("repeated key, inner", n, 1, false, 2, NULL, 0, new_tids, ntids);
				f = narrowest(keys0, tids0, 0, n, PG_INT64_MIN);
				n = capacity(&f);
				make_page(keys0, tids0, n, 1, 0, max_off, last_block);
				split_page("repeated key, leftmost", n, PG_INT64_MIN, true, 0,
						   NULL, 0, new_tids, ntids);
			}

			/*
			 * Dates (int32 days) and timestamps (microseconds) of 2020 with
			 * +-infinity; on the leftmost leaf and on one based at the first.
			 */
			{
				int64		date_inf[] = {PG_INT32_MAX, PG_INT32_MIN};
				int64		ts_inf[] = {PG_INT64_MAX, PG_INT64_MIN};
				LearnedLeafFormat f;
				int			n;

				for (int leftmost = 0; leftmost <= 1; leftmost++)
				{
					int64		base = leftmost ? PG_INT64_MIN : 7305;

					make_page(keys0, tids0, LEARNED_LEAF_MAX_CAPACITY, 7305, 3000, max_off, last_block);
					f = narrowest(keys0, tids0, 0, LEARNED_LEAF_MAX_CAPACITY, base);
					n = capacity(&f);
					make_page(keys0, tids0, n, 7305, 3000, max_off, last_block);
					split_page("dates", n, base, true, 0, date_inf, 2, new_tids, ntids);

					base = leftmost ? PG_INT64_MIN : INT64CONST(631152000000000);
					make_page(keys0, tids0, LEARNED_LEAF_MAX_CAPACITY,
							  INT64CONST(631152000000000), UINT64CONST(86400000000) * 365,
							  max_off, last_block);
					f = narrowest(keys0, tids0, 0, LEARNED_LEAF_MAX_CAPACITY, base);
					n = capacity(&f);
					make_page(keys0, tids0, n, INT64CONST(631152000000000),
							  UINT64CONST(86400000000) * 365, max_off, last_block);
					split_page("timestamps", n, base, true, 0, ts_inf, 2, new_tids, ntids);
				}
			}
		}

	/* Every heap offset 1..291 as the new TID, on narrow full pages. */
	for (int kb = 1; kb <= 8; kb += 7)
	{
		LearnedLeafFormat f;
		int			n;

		make_page(keys0, tids0, LEARNED_LEAF_MAX_CAPACITY, 0, learned_max_packed(kb) >> 1, 200, 100);
		f = narrowest(keys0, tids0, 0, LEARNED_LEAF_MAX_CAPACITY, 0);
		n = capacity(&f);
		make_page(keys0, tids0, n, 0, learned_max_packed(kb) >> 1, 200, 100);
		split_page("every heap offset", n, 0, true, 0, NULL, 0, every_offset, 291);
		split_page("every heap offset, inner", n, 0, false, keys0[n - 1] + 1,
				   NULL, 0, every_offset, 291);
	}

	printf("%ld plans checked; %ld ordinary splits moved off the half\n", nplans, nfar);
	printf("%ld passed, %ld failed\n", nplans - nfailed, nfailed);
	return nfailed == 0 ? 0 : 1;
}
