/*-------------------------------------------------------------------------
 *
 * learned_format.c
 *	  Leaf packing formats and the planning of leaf splits: pure functions
 *	  over arrays of (key, heap TID) entries, no buffers, no locks and no
 *	  errors raised, so that test/split_test.c can link this file alone and
 *	  drive the split planner through every format boundary (heap blocks
 *	  past 2^24 included, which no test table can reach).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port/pg_bitutils.h"

#include "learned.h"

/* Bits needed to store value, at least 1. */
static inline int
learned_bits_for(uint64 value)
{
	return value == 0 ? 1 : pg_leftmost_one_pos64(value) + 1;
}

/* Bytes needed to store value, at least 1. */
static inline int
learned_bytes_for(uint64 value)
{
	return (learned_bits_for(value) + 7) / 8;
}

/* The narrowest format: every field at its fewest bytes or bits. */
void
learned_leaf_format_init(LearnedLeafFormat *format)
{
	format->key_bytes = 1;
	format->block_bits = LEARNED_MIN_BLOCK_BITS;
	format->offnum_bits = LEARNED_MIN_OFFNUM_BITS;
}

/* Widen format, if need be, to hold key on a page of this base. */
static void
learned_leaf_format_add_key(LearnedLeafFormat *format, int64 base, int64 key)
{
	Assert(key >= base);
	format->key_bytes = Max(format->key_bytes,
							learned_bytes_for((uint64) key - (uint64) base));
}

/* Widen format, if need be, to hold key (on a page of this base) and tid. */
void
learned_leaf_format_add(LearnedLeafFormat *format, int64 base, int64 key,
						ItemPointer tid)
{
	learned_leaf_format_add_key(format, base, key);
	format->block_bits = Max(format->block_bits,
							 learned_bits_for(ItemPointerGetBlockNumberNoCheck(tid)));
	format->offnum_bits = Max(format->offnum_bits,
							  learned_bits_for(ItemPointerGetOffsetNumberNoCheck(tid)));
}

/*
 * How many of the n sorted entries a leaf of this base takes when written
 * whole at the fillfactor, and in what format: as many as the page holds
 * at the fillfactor in the narrowest format for them and for keys up to the
 * next entry's (which becomes its high fence).  The more entries, the
 * wider the format and the fewer fit, so the answer is where the two meet.
 * With last, the leaf is the rightmost and may take all n (its keys then
 * reach its own last key); otherwise at least one entry is left for the
 * next leaf.  Takes at least one entry.  format may be NULL.
 */
int
learned_leaf_plan(const int64 *keys, const ItemPointerData *tids, int n,
				  bool last, int64 base, int fillfactor,
				  LearnedLeafFormat *format)
{
	LearnedLeafFormat entries;
	LearnedLeafFormat limit_format;
	int			limit = 0;
	int			count = 0;

	Assert(n > (last ? 0 : 1));
	learned_leaf_format_init(&entries);
	memset(&limit_format, 0, sizeof(limit_format));	/* no format yet */
	for (;;)
	{
		int			next = count + 1;
		LearnedLeafFormat with_fence;

		if (next > n || (next == n && !last))
			break;
		/* entries covers entries [0, next), with_fence also the fence */
		learned_leaf_format_add(&entries, base, keys[count],
								(ItemPointer) &tids[count]);
		with_fence = entries;
		if (next < n)
			learned_leaf_format_add_key(&with_fence, base, keys[next]);
		/* The entries at the fillfactor, worked out again as it widens. */
		if (with_fence.key_bytes != limit_format.key_bytes ||
			with_fence.block_bits != limit_format.block_bits ||
			with_fence.offnum_bits != limit_format.offnum_bits)
		{
			limit_format = with_fence;
			limit = learned_leaf_format_capacity(&with_fence) * fillfactor / 100;
		}
		if (next > 1 && next > limit)
			break;
		if (format != NULL)
			*format = with_fence;
		count = next;
	}
	return count;
}


/*
 * Does a leaf of this format hold count entries?  Asked of formats that
 * hold every field of those entries, so only the count is in question.
 */
static inline bool
learned_leaf_count_fits(const LearnedLeafFormat *format, int count)
{
	return count <= learned_leaf_format_capacity(format);
}

/*
 * Plan the split of a full leaf.  keys/tids are the leaf's n entries and
 * the new one, total = n + 1 of them in (key, TID) order, the new one at
 * newpos; base is the leaf's base key (learned_leaf_base), rightmost says
 * whether it is the last leaf, high_key is its high fence's key otherwise.
 * The left page keeps entries [0, nleft) and the leaf's base; the new right
 * page takes entries [nleft, total), the fence (keys[nleft] with TID minus
 * infinity, or keys[nleft]'s whole (key, TID) when keys[nleft - 1] has the
 * same key) as its low fence and base, and the leaf's high fence.
 *
 * Which split points fit.  For a split point k (1 <= k < total) let L(k) be
 * the narrowest format of entries [0, k) on base, R(k) that of entries
 * [k, total) on base keys[k].  The left page fits iff k <= capacity(L(k)),
 * the right page iff total - k <= capacity(R(k)).  As k grows, L(k) only
 * widens (more keys, further from the same base; more TIDs) while k grows,
 * so "left fits" holds for every k up to some max_left, and it holds for
 * k = 1 (one entry fits any format).  As k grows, R(k) only narrows (fewer
 * keys, the last key the same, the base keys[k] higher; fewer TIDs) while
 * total - k shrinks, so "right fits" holds for every k from some min_left
 * on, and for k = total - 1.  The points that fit are [min_left, max_left].
 *
 * That interval is never empty when the leaf itself was valid: its format
 * F, of s = 8 * key_bytes + block_bits + offnum_bits >= LEARNED_MIN_ENTRY_BITS
 * bits per entry, holds its n entries (n >= 1: an empty leaf never
 * splits), and every new key is at or above base.
 *
 * - The new entry after every old one (newpos == n: ascending keys, or a
 *   far key at the right end): k = n fits.  The left page holds exactly the
 *   old entries on the old base, so L(n) is no wider than F in any field and
 *   n <= capacity(F) <= capacity(L(n)); the right page holds one entry,
 *   which any format holds.  However far the new key and however wide its
 *   TID, nothing of it lands on the left page.
 * - Otherwise the last entry is an old one, so every key of either half
 *   lies between base and the old last key, which F holds: neither half
 *   needs more key bytes than F.  Only the new TID can widen a half, by at
 *   most d = LEARNED_MAX_TID_WIDENING bits (block numbers from their least
 *   width to 32 bits, offsets from theirs to 16): its entries take at most
 *   w = min(s + d, LEARNED_MAX_ENTRY_BITS) bits.  With K =
 *   LEARNED_CONTENTS_BITS, a page holds C = floor(K / s) >= n entries of
 *   width s.  The half split k = total / 2 puts at most ceil(total / 2) <=
 *   (C + 2) / 2 entries on a page, and a page of width w holds floor(K / w)
 *   > K / w - 1.  (K / s + 2) / 2 <= K / w - 1 is K (2 s - w) >= 4 s w,
 *   which holds as 2 s - w >= s - d >= LEARNED_MIN_ENTRY_BITS - d and
 *   s w <= LEARNED_MAX_ENTRY_BITS^2 (the static assertion below): both
 *   halves fit.
 *
 * So the plan never fails on a valid leaf; it returns false only for
 * entries that break the preconditions (out of order, below the base, or
 * too many for any split), which only a corrupt page gives.
 *
 * Where in the interval: the target is the half split, or, when the new
 * entry goes after every old one, what the left page holds at the
 * fillfactor in its narrowest format (learned_leaf_plan), as nbtree splits
 * at the right end; the target is clamped into the interval (a far key
 * whose offset needs a wide format moves the split right, a wide TID may
 * move it either way).
 *
 * The formats: each page's format holds its entries; it also holds keys up
 * to the page's high fence (the new fence for the left page, the leaf's
 * high fence for an inner right page) when the page's entries still fit
 * that way, so that an insert into an inner leaf rarely needs a wider key.
 * A fence far beyond the entries (the left page of a split at a far key)
 * is not covered: an insert there that needs wider keys widens the leaf or
 * splits it, as on the rightmost leaf.
 */
#define LEARNED_MAX_TID_WIDENING \
	(8 * sizeof(BlockNumber) - LEARNED_MIN_BLOCK_BITS + \
	 8 * sizeof(OffsetNumber) - LEARNED_MIN_OFFNUM_BITS)
StaticAssertDecl(LEARNED_MIN_ENTRY_BITS > LEARNED_MAX_TID_WIDENING &&
				 (uint64) LEARNED_CONTENTS_BITS *
				 (LEARNED_MIN_ENTRY_BITS - LEARNED_MAX_TID_WIDENING) >=
				 (uint64) 4 * LEARNED_MAX_ENTRY_BITS * LEARNED_MAX_ENTRY_BITS,
				 "a half split must fit any format (learned_split_plan)");

bool
learned_split_plan(const int64 *keys, const ItemPointerData *tids, int total,
				   int newpos, int64 base, bool rightmost, int64 high_key,
				   int fillfactor, LearnedSplitPlan *plan)
{
	LearnedLeafFormat format;
	LearnedLeafFormat covering;
	int			max_left = 0;
	int			min_left = total;
	int			target;
	int			nleft;
	int			k;

	if (total < 2 || newpos < 0 || newpos >= total || keys[0] < base)
		return false;
	for (k = 1; k < total; k++)
		if (keys[k] < keys[k - 1])
			return false;

	/* max_left: the largest k whose left page fits (L(k) only widens). */
	learned_leaf_format_init(&format);
	for (k = 1; k < total; k++)
	{
		learned_leaf_format_add(&format, base, keys[k - 1],
								(ItemPointer) &tids[k - 1]);
		if (!learned_leaf_count_fits(&format, k))
			break;
		max_left = k;
	}

	/*
	 * min_left: the smallest k whose right page fits (R(k) only narrows as
	 * k grows).  R(k)'s TID widths are those of entries [k, total), its key
	 * width that of the last key's offset from keys[k].
	 */
	learned_leaf_format_init(&format);
	for (k = total - 1; k >= 1; k--)
	{
		LearnedLeafFormat right;

		learned_leaf_format_add(&format, keys[k], keys[k],
								(ItemPointer) &tids[k]);
		right = format;
		learned_leaf_format_add_key(&right, keys[k], keys[total - 1]);
		if (!learned_leaf_count_fits(&right, total - k))
			break;
		min_left = k;
	}
	if (min_left > max_left)
		return false;

	if (newpos == total - 1)
		target = learned_leaf_plan(keys, tids, total, false, base,
								   fillfactor, NULL);
	else
		target = total / 2;
	nleft = Max(min_left, Min(max_left, target));
	plan->nleft = nleft;

	plan->fence.key = keys[nleft];
	plan->fence.tid = tids[nleft];
	if (keys[nleft - 1] < keys[nleft])
		LearnedFenceSetTidMinusInfinity(&plan->fence.tid);

	/* The left page: its entries, and up to the fence if that costs none. */
	learned_leaf_format_init(&format);
	for (k = 0; k < nleft; k++)
		learned_leaf_format_add(&format, base, keys[k], (ItemPointer) &tids[k]);
	covering = format;
	learned_leaf_format_add_key(&covering, base, plan->fence.key);
	plan->left_format = learned_leaf_count_fits(&covering, nleft) ?
		covering : format;

	/* The right page: its entries, and up to an inner leaf's high fence. */
	learned_leaf_format_init(&format);
	for (k = nleft; k < total; k++)
		learned_leaf_format_add(&format, plan->fence.key, keys[k],
								(ItemPointer) &tids[k]);
	covering = format;
	if (!rightmost && high_key >= plan->fence.key)
		learned_leaf_format_add_key(&covering, plan->fence.key, high_key);
	plan->right_format = learned_leaf_count_fits(&covering, total - nleft) ?
		covering : format;
	return true;
}
