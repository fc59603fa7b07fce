/*-------------------------------------------------------------------------
 *
 * rmi.h
 *	  Two-stage Recursive Model Index over a sorted array of int64 keys.
 *
 * This file and rmi.c have no PostgreSQL dependency: they are compiled into
 * the extension and, on their own, into the model's unit test
 * (test/rmi_test.c).  The model never allocates; callers own all memory.
 *
 * What the model predicts.  For a sorted (non-decreasing) array keys[0..n),
 * n >= 1, and any int64 x, the target position is
 *
 *		rmi_target(x) = max { i : keys[i] < x },  or 0 when no key is < x.
 *
 * In the index, keys[] are the low fences of the leaf pages in chain order, so
 * the target is the leaf where a search for the first entry >= x must start:
 * the rightmost page whose low fence is below x (the first page's fence is
 * treated as minus infinity).
 *
 * Stage 2 splits the positions into consecutive segments; segment j covers
 * positions [start, start + count) and its first_key is keys[start].  A
 * lookup for x is routed to
 *
 *		rmi_route(x) = max { j : segment[j].first_key < x },  or 0.
 *
 * which always holds rmi_target(x).  The root (stage 1) predicts the segment
 * with error bounds; the segment's linear fit predicts the position with
 * error bounds.  Every bound is computed with the exact prediction code used
 * at lookup, and every prediction is monotone in x, so the bounds hold for all
 * int64 x, present in the training set or not.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RMI_H
#define RMI_H

#include <stdint.h>

/*
 * Root model kinds (stored on disk: never renumber).
 *
 * RMI_ROOT_LINEAR: segment = floor(coef[0] + coef[1] * d), clamped, with
 * d = x - min_key as a double (0 for x <= min_key) and coef[1] >= 0;
 * coef[2] and coef[3] are unused and zero.
 */
#define RMI_ROOT_LINEAR		1

/*
 * A segment predicts floor(intercept + slope * d), clamped, with
 * d = x - first_key as for the root.  Both stages round the product and the
 * sum to IEEE double separately (never a fused multiply-add), so the stored
 * bounds hold in every build that reads them.
 *
 * Error bounds are exact, so never above the number of entries covered; a
 * bound too large for int32 is stored as INT32_MAX, which lookups read as
 * "unbounded".
 */

/* Stage-2 segment: a linear fit from key to position within the segment. */
typedef struct RmiSegment
{
	int64_t		first_key;		/* keys[start] */
	uint32_t	start;			/* first position covered */
	uint32_t	count;			/* number of positions covered, >= 1 */
	double		slope;			/* >= 0 */
	double		intercept;
	int32_t		err_lo;			/* target >= predicted - err_lo */
	int32_t		err_hi;			/* target <= predicted + err_hi */
} RmiSegment;

/* Stage-1 root: a monotone map from key to segment number. */
typedef struct RmiRoot
{
	int32_t		type;			/* RMI_ROOT_* */
	uint32_t	nsegments;
	int64_t		min_key;		/* keys[0] at training */
	double		coef[4];		/* meaning depends on type */
	int32_t		err_lo;			/* route >= predicted - err_lo */
	int32_t		err_hi;			/* route <= predicted + err_hi */
} RmiRoot;

/* Number of segments rmi_train makes for n positions. */
extern uint32_t rmi_segment_count(uint32_t n, uint32_t positions_per_segment);

/*
 * Train on keys[0..n) (sorted, n >= 1) with segments of
 * positions_per_segment positions (the last may be shorter; 0 is taken as
 * 1).  segments must have room for rmi_segment_count(n,
 * positions_per_segment) entries.
 */
extern void rmi_train(const int64_t *keys, uint32_t n,
					  uint32_t positions_per_segment,
					  RmiRoot *root, RmiSegment *segments);

/* Root prediction, clamped to [0, nsegments - 1]. */
extern uint32_t rmi_root_predict(const RmiRoot *root, int64_t x);

/*
 * rmi_route(x), exactly: the root's prediction narrowed by a binary search
 * of first_key over the root's error window (falling back to the whole array
 * if the window is wrong, which a trained model never is).
 */
extern uint32_t rmi_find_segment(const RmiRoot *root,
								 const RmiSegment *segments, int64_t x);

/* Segment prediction relative to seg->start, clamped to [0, count - 1]. */
extern uint32_t rmi_segment_predict(const RmiSegment *seg, int64_t x);

/*
 * Window of absolute positions [*lo, *hi] that holds rmi_target(x) for
 * every x routed to this segment.
 */
extern void rmi_segment_window(const RmiSegment *seg, int64_t x,
							   uint32_t *lo, uint32_t *hi);

/* Both stages: window [*lo, *hi] of absolute positions holding rmi_target(x). */
extern void rmi_lookup(const RmiRoot *root, const RmiSegment *segments,
					   int64_t x, uint32_t *lo, uint32_t *hi);

#endif							/* RMI_H */
