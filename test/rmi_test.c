/*-------------------------------------------------------------------------
 *
 * rmi_test.c
 *	  Standalone unit test of the learned-index model (rmi.c, rmi_train.c).
 *
 * Trains the model on many deterministic key sets, each with several
 * record sizes, and checks every lookup against brute-force binary searches
 * that share no code with rmi.c: the routed record must be exact and the
 * window must hold the target, for every key, for the keys' neighbours and
 * midpoints, for INT64_MIN/INT64_MAX and for random probes.
 *
 * Every combination also retrains the root with each single kind and with
 * all kinds (rmi_train_root) and checks routing for each root the same way;
 * the root rmi_train chose must be the all-kinds one, and no narrower than
 * any single kind.  Separate checks: the cubic root's prediction is monotone
 * for adversarial coefficients, the cubic wins on keys it should, a few
 * huge outliers do not widen a record's window over its dense keys,
 * rmi_record_search handles tiny lists, and on key sets of equal-key runs
 * (across record boundaries too) every window holds every position a
 * search for a key equal to fences may start at (check_fence_keys).
 *
 * Simulated splits and regrowth: every combination also grows a sample of
 * its records' lists as leaf splits would (1x to 10x, fits left stale),
 * splits some into two records (refitting the new half) and grows them
 * again, and checks that rmi_record_search on the list as it is then, and
 * rmi_find_record, still give the exact answers (see check_splits).
 *
 * Prints a line per key set (window widths, then the root kind chosen per
 * record size with the root windows of each kind), a summary per root
 * kind, a summary of the simulated splits, then "N passed, M failed"
 * counting key-set x record-size combinations and the separate checks;
 * exits 0 only if M == 0.  An optional argument skips key sets of more keys
 * than it says (for valgrind and the like).
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -std=gnu99 -I. \
 *			-o rmi_test test/rmi_test.c rmi.c rmi_train.c -lm
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rmi.h"

/* record sizes tried on every key set; 0 stands for "n + 1" */
static const uint32_t pps_list[] = {1, 7, 128, 1000, 0, UINT32_MAX};
#define NPPS	((int) (sizeof(pps_list) / sizeof(pps_list[0])))

#define MAX_REPORTED	5		/* failures printed per combination */

static uint64_t rng_state;

/* splitmix64: deterministic, and good enough for test data */
static uint64_t
rng_next(void)
{
	uint64_t	z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void
rng_seed(uint64_t seed)
{
	rng_state = seed;
}

static double
rng_unit(void)
{
	return (double) (rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t
rng_below(uint64_t bound)
{
	return bound ? rng_next() % bound : 0;
}

static double
rng_normal(void)
{
	double		u1 = rng_unit();
	double		u2 = rng_unit();

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static int
cmp_int64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a;
	int64_t		y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

/* x + d, saturating at the int64 limits */
static int64_t
sat_add(int64_t x, int64_t d)
{
	if (d > 0 && x > INT64_MAX - d)
		return INT64_MAX;
	if (d < 0 && x < INT64_MIN - d)
		return INT64_MIN;
	return x + d;
}

/* ------------------------------------------------------------- oracles */

/* max { i : keys[i] < x }, or 0: written independently of rmi.c */
static uint32_t
oracle_target(const int64_t *keys, uint32_t n, int64_t x)
{
	uint32_t	lo = 0;
	uint32_t	hi = n;

	/* lo = number of keys < x */
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (keys[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

/* max { j : records[j].first_key < x }, or 0 */
static uint32_t
oracle_route(const RmiRecord *records, uint32_t nseg, int64_t x)
{
	uint32_t	lo = 0;
	uint32_t	hi = nseg;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (records[mid].first_key < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

/* ------------------------------------------------------------ key sets */

typedef struct KeySet
{
	char		name[48];
	int64_t    *keys;
	uint32_t	n;
} KeySet;

static KeySet *sets;
static int	nsets;
static int	sets_alloc;

static int64_t *
new_set(const char *name, uint32_t n)
{
	KeySet	   *ks;

	if (nsets == sets_alloc)
	{
		sets_alloc = sets_alloc ? sets_alloc * 2 : 64;
		sets = realloc(sets, sets_alloc * sizeof(KeySet));
		if (!sets)
			abort();
	}
	ks = &sets[nsets++];
	snprintf(ks->name, sizeof(ks->name), "%s", name);
	ks->n = n;
	ks->keys = malloc((n ? n : 1) * sizeof(int64_t));
	if (!ks->keys)
		abort();
	return ks->keys;
}

static void
sort_last(void)
{
	KeySet	   *ks = &sets[nsets - 1];

	qsort(ks->keys, ks->n, sizeof(int64_t), cmp_int64);
}

static void
add_literal(const char *name, const int64_t *vals, uint32_t n)
{
	int64_t    *k = new_set(name, n);

	memcpy(k, vals, n * sizeof(int64_t));
	sort_last();
}

static void
build_sets(void)
{
	char		name[48];
	int64_t    *k;
	uint32_t	i;
	uint32_t	n;
	int			s;

	/* tiny sets */
	{
		static const int64_t one_zero[] = {0};
		static const int64_t one_min[] = {INT64_MIN};
		static const int64_t one_max[] = {INT64_MAX};
		static const int64_t two_distinct[] = {-5, 7};
		static const int64_t two_adjacent[] = {41, 42};
		static const int64_t two_equal[] = {3, 3};
		static const int64_t two_extremes[] = {INT64_MIN, INT64_MAX};
		static const int64_t two_max[] = {INT64_MAX, INT64_MAX};
		static const int64_t two_min[] = {INT64_MIN, INT64_MIN};
		static const int64_t two_top[] = {INT64_MAX - 1, INT64_MAX};
		static const int64_t three_mixed[] = {INT64_MIN, INT64_MIN, INT64_MAX};

		add_literal("n1_zero", one_zero, 1);
		add_literal("n1_min", one_min, 1);
		add_literal("n1_max", one_max, 1);
		add_literal("n2_distinct", two_distinct, 2);
		add_literal("n2_adjacent", two_adjacent, 2);
		add_literal("n2_equal", two_equal, 2);
		add_literal("n2_extremes", two_extremes, 2);
		add_literal("n2_max_dup", two_max, 2);
		add_literal("n2_min_dup", two_min, 2);
		add_literal("n2_top", two_top, 2);
		add_literal("n3_min_min_max", three_mixed, 3);
	}

	/* small random sets, from narrow (many duplicates) to full range */
	rng_seed(1);
	for (s = 0; s < 24; s++)
	{
		uint64_t	range = (s % 3 == 0) ? 8 : (s % 3 == 1) ? 1000 : 0;

		n = 1 + (uint32_t) rng_below(60);
		snprintf(name, sizeof(name), "small_%d_r%llu", s,
				 (unsigned long long) range);
		k = new_set(name, n);
		for (i = 0; i < n; i++)
			k[i] = range ? (int64_t) rng_below(range) - (int64_t) (range / 2)
				: (int64_t) rng_next();
		sort_last();
	}

	/* uniform sparse over the whole int64 range */
	rng_seed(2);
	k = new_set("uniform_1k", 1000);
	for (i = 0; i < 1000; i++)
		k[i] = (int64_t) rng_next();
	sort_last();
	k = new_set("uniform_200k", 200000);
	for (i = 0; i < 200000; i++)
		k[i] = (int64_t) rng_next();
	sort_last();

	/* evenly spaced from INT64_MIN to INT64_MAX */
	n = 100000;
	k = new_set("full_range_even", n);
	for (i = 0; i < n; i++)
		k[i] = (int64_t) ((uint64_t) INT64_MIN +
						  (uint64_t) i * (UINT64_MAX / (n - 1)));
	k[n - 1] = INT64_MAX;

	/* dense sequential, at various places */
	n = 100000;
	k = new_set("dense_seq", n);
	for (i = 0; i < n; i++)
		k[i] = INT64_C(1000000000000) + i;
	k = new_set("dense_step3_neg", n);
	for (i = 0; i < n; i++)
		k[i] = -INT64_C(150000) + 3 * (int64_t) i;
	k = new_set("dense_at_max", n);
	for (i = 0; i < n; i++)
		k[i] = INT64_MAX - (n - 1) + i;
	k = new_set("dense_at_min", n);
	for (i = 0; i < n; i++)
		k[i] = INT64_MIN + i;

	/* lognormal, rounded: heavy duplicates at the low end */
	rng_seed(3);
	n = 100000;
	k = new_set("lognormal_dups", n);
	for (i = 0; i < n; i++)
		k[i] = (int64_t) floor(exp(2.0 * rng_normal()) * 100.0);
	sort_last();
	k = new_set("lognormal_wide", n);
	for (i = 0; i < n; i++)
	{
		double		v = exp(4.0 * rng_normal()) * 1e6;

		k[i] = v >= 9.2e18 ? INT64_MAX : (int64_t) v;
	}
	sort_last();

	/* clusters of very different widths at random centres */
	rng_seed(4);
	n = 150000;
	k = new_set("clustered", n);
	i = 0;
	while (i < n)
	{
		int64_t		centre = (int64_t) rng_next();
		int64_t		width = INT64_C(1) << rng_below(56);
		uint32_t	size = 1 + (uint32_t) rng_below(3000);

		for (; size > 0 && i < n; size--, i++)
			k[i] = sat_add(centre, (int64_t) rng_below((uint64_t) width));
	}
	sort_last();

	/* all duplicates */
	k = new_set("all_dup_42", 5000);
	for (i = 0; i < 5000; i++)
		k[i] = 42;
	k = new_set("all_dup_max", 3000);
	for (i = 0; i < 3000; i++)
		k[i] = INT64_MAX;
	k = new_set("all_dup_min", 3000);
	for (i = 0; i < 3000; i++)
		k[i] = INT64_MIN;

	/* a few extreme keys among dense small ones */
	rng_seed(5);
	n = 50000;
	k = new_set("extremes", n);
	for (i = 0; i < n - 12; i++)
		k[i] = (int64_t) rng_below(100000);
	k[i++] = INT64_MIN;
	k[i++] = INT64_MIN;
	k[i++] = INT64_MIN + 1;
	k[i++] = INT64_MIN + 2;
	k[i++] = INT64_MIN + 1000;
	k[i++] = INT64_MIN / 2;
	k[i++] = INT64_MAX / 2;
	k[i++] = INT64_MAX - 1000;
	k[i++] = INT64_MAX - 2;
	k[i++] = INT64_MAX - 1;
	k[i++] = INT64_MAX;
	k[i++] = INT64_MAX;
	sort_last();

	/* poison: exponentially growing gaps, then saturating at INT64_MAX */
	n = 200;
	k = new_set("poison_exp_gaps", n);
	{
		int64_t		v = 0;
		int64_t		gap = 1;

		for (i = 0; i < n; i++)
		{
			k[i] = v;
			v = sat_add(v, gap);
			gap = sat_add(gap, gap);
		}
	}

	/* poison: geometric growth with a smooth start */
	n = 100000;
	k = new_set("poison_geometric", n);
	for (i = 0; i < n; i++)
	{
		double		v = pow(1.00042, (double) i);

		k[i] = v >= 9.2e18 ? INT64_MAX : (int64_t) v;
	}

	/* poison: dense blocks separated by a few huge gaps */
	rng_seed(6);
	n = 120000;
	k = new_set("poison_huge_gaps", n);
	{
		int64_t		v = INT64_MIN + 5;

		for (i = 0; i < n; i++)
		{
			if (i % 20000 == 0 && i > 0)
				v = sat_add(v, INT64_C(1) << 61);
			else
				v = sat_add(v, 1 + (int64_t) rng_below(3));
			k[i] = v;
		}
	}

	/* poison: one outlier at each end of otherwise dense keys */
	n = 100000;
	k = new_set("poison_outliers", n);
	k[0] = INT64_MIN;
	for (i = 1; i < n - 1; i++)
		k[i] = i;
	k[n - 1] = INT64_MAX;

	/* keys growing polynomially: curved CDFs a cubic root should follow */
	n = 100000;
	k = new_set("quadratic_keys", n);
	for (i = 0; i < n; i++)
		k[i] = (int64_t) i * i;
	k = new_set("cubic_keys", n);
	for (i = 0; i < n; i++)
		k[i] = (int64_t) i * i * i - INT64_C(500000000000000);
	k = new_set("sqrt_keys", n);
	for (i = 0; i < n; i++)
		k[i] = (int64_t) floor(sqrt((double) i) * 1e6);

	/* long runs of duplicates of varying length */
	rng_seed(7);
	n = 100000;
	k = new_set("dup_runs", n);
	{
		int64_t		v = -(INT64_C(1) << 40);

		i = 0;
		while (i < n)
		{
			uint32_t	run = 1 + (uint32_t) rng_below(rng_below(2) ? 3 : 2500);

			for (; run > 0 && i < n; run--, i++)
				k[i] = v;
			v += 1 + (int64_t) rng_below(1000000);
		}
	}
}

/* ------------------------------------------------------------- checking */

/* the roots retrained per combination, by kinds mask */
#define NROOTS	4
#define ROOT_ALL	(NROOTS - 1)	/* index of the all-kinds root */
static const uint32_t root_masks[NROOTS] = {
	1u << RMI_ROOT_LINEAR, 1u << RMI_ROOT_CUBIC, 1u << RMI_ROOT_SPLINE,
	RMI_ROOT_KINDS_ALL
};
static const char *const root_mask_names[NROOTS] = {"linear", "cubic", "spline", "all"};

typedef struct Stats
{
	uint64_t	probes;
	uint64_t	failures;
	double		width_sum;
	uint32_t	width_max;
	/* per retrained root: stored window and mean routed (clamped) window */
	int32_t		root_type[NROOTS];
	uint32_t	root_width[NROOTS];
	double		route_width_sum[NROOTS];
} Stats;

#define NBAD_ROOTS	5

typedef struct Context
{
	const KeySet *ks;
	uint32_t	pps;			/* as passed to rmi_train */
	uint32_t	pps_eff;		/* record size actually expected */
	const RmiRoot *root;
	const RmiRecord *segs;
	RmiRoot		bad_roots[NBAD_ROOTS];	/* damaged copies: find_segment must cope */
	RmiRoot		roots[NROOTS];	/* retrained with root_masks[] */
	Stats	   *st;
} Context;

static void
report(Context *c, const char *what, int64_t x, long long a, long long b)
{
	c->st->failures++;
	if (c->st->failures <= MAX_REPORTED)
		printf("  FAIL %s pps=%u: %s at x=%lld (%lld vs %lld)\n",
			   c->ks->name, c->pps, what, (long long) x, a, b);
}

static void
check_probe(Context *c, int64_t x)
{
	const int64_t *keys = c->ks->keys;
	uint32_t	n = c->ks->n;
	uint32_t	nseg = c->root->nrecords;
	uint32_t	t = oracle_target(keys, n, x);
	uint32_t	r = oracle_route(c->segs, nseg, x);
	uint32_t	fs = rmi_find_record(c->root, c->segs, x);
	const RmiRecord *rec;
	uint32_t	lo;
	uint32_t	hi;
	uint32_t	wlo;
	uint32_t	whi;
	int			b;

	c->st->probes++;

	if (fs != r)
		report(c, "find_segment != route", x, fs, r);
	for (b = 0; b < NROOTS; b++)
	{
		const RmiRoot *rt = &c->roots[b];
		int64_t		p = rmi_root_predict(rt, x);
		int64_t		wl = p - rt->err_lo;
		int64_t		wh = p + rt->err_hi;

		if (rmi_find_record(rt, c->segs, x) != r)
			report(c, root_mask_names[b], x,
				   rmi_find_record(rt, c->segs, x), r);
		if (p >= (nseg ? nseg : 1))
			report(c, "retrained root prediction out of range", x, p, nseg);
		if ((int64_t) r < wl || (int64_t) r > wh)
			report(c, "route outside retrained root window", x, r, p);
		if (wl < 0)
			wl = 0;
		if (wh > (int64_t) nseg - 1)
			wh = (int64_t) nseg - 1;
		c->st->route_width_sum[b] += (double) (wh - wl + 1);
	}
	if (r != t / c->pps_eff)
		report(c, "route does not hold target", x, r, t / c->pps_eff);
	for (b = 0; b < NBAD_ROOTS; b++)
	{
		uint32_t	f = rmi_find_record(&c->bad_roots[b], c->segs, x);

		if (f != r)
			report(c, "find_segment with damaged root", x, f, r);
	}
	/*
	 * find_segment hides a wrong root window by falling back to a full
	 * search, so check the trained window itself.
	 */
	{
		int64_t		p = rmi_root_predict(c->root, x);

		if (p >= (nseg ? nseg : 1))
			report(c, "root prediction out of range", x, p, nseg);
		if ((int64_t) r < p - c->root->err_lo)
			report(c, "route below root window", x, r, p - c->root->err_lo);
		if ((int64_t) r > p + c->root->err_hi)
			report(c, "route above root window", x, r, p + c->root->err_hi);
	}

	rmi_lookup(c->root, c->segs, x, &lo, &hi);
	if (lo > hi || hi >= n)
		report(c, "lookup window malformed", x, lo, hi);
	if (t < lo)
		report(c, "target below window", x, t, lo);
	if (t > hi)
		report(c, "target above window", x, t, hi);

	rec = &c->segs[r];
	if (lo < rec->start || hi >= rec->start + rec->count)
		report(c, "lookup window leaves record", x, lo, hi);
	rmi_record_window(rec, x, &wlo, &whi);
	if (wlo != lo || whi != hi)
		report(c, "segment_window != lookup", x, wlo, lo);
	if (rmi_record_predict(rec, x) >= rec->count)
		report(c, "record prediction out of range", x,
			   rmi_record_predict(rec, x), rec->count);

	c->st->width_sum += (double) (hi - lo) + 1.0;
	if (hi - lo + 1 > c->st->width_max)
		c->st->width_max = hi - lo + 1;
}

static void
check_structure(Context *c)
{
	const int64_t *keys = c->ks->keys;
	uint32_t	n = c->ks->n;
	const RmiRoot *root = c->root;
	uint32_t	nseg = rmi_record_count(n, c->pps);
	uint32_t	j;

	if (nseg != (n + (uint64_t) c->pps_eff - 1) / c->pps_eff)
		report(c, "record count", 0, nseg,
			   (long long) ((n + (uint64_t) c->pps_eff - 1) / c->pps_eff));
	int			b;

	for (b = -1; b < NROOTS; b++)
	{
		const RmiRoot *rt = b < 0 ? root : &c->roots[b];

		if ((rt->type != RMI_ROOT_LINEAR && rt->type != RMI_ROOT_CUBIC &&
			 rt->type != RMI_ROOT_SPLINE) ||
			rt->nrecords != nseg || rt->min_key != keys[0])
			report(c, "root header", b, rt->nrecords, nseg);
		if (!(rt->coef[1] >= 0.0) || !isfinite(rt->coef[0]) ||
			!isfinite(rt->coef[1]) || !isfinite(rt->coef[2]) ||
			!isfinite(rt->coef[3]))
			report(c, "root coefficients", b, 0, 0);
		if (rt->type == RMI_ROOT_LINEAR &&
			(rt->coef[2] != 0.0 || rt->coef[3] != 0.0))
			report(c, "linear root with cubic terms", b, 0, 0);
		if (rt->type == RMI_ROOT_CUBIC && !(rt->coef[3] > 0.0))
			report(c, "cubic root without a cubic term", b, 0, 0);
		if (rt->type != RMI_ROOT_SPLINE && rt->nknots != 0)
			report(c, "knots in a root that is no spline", b, rt->nknots, 0);
		if (rt->type == RMI_ROOT_SPLINE)
		{
			uint32_t	k;

			if (rt->nknots < 2 || rt->nknots > RMI_SPLINE_MAX_KNOTS ||
				rt->coef[1] != 0.0 || rt->coef[2] != 0.0 || rt->coef[3] != 0.0)
				report(c, "spline root header", b, rt->nknots, 0);
			for (k = 1; k < rt->nknots && k < RMI_SPLINE_MAX_KNOTS; k++)
				if (rt->knot_key[k] <= rt->knot_key[k - 1] ||
					rt->knot_pos[k] < rt->knot_pos[k - 1] ||
					rt->knot_pos[k] >= nseg)
					report(c, "spline knots out of order", b,
						   rt->knot_pos[k], rt->knot_pos[k - 1]);
		}
		if (rt->err_lo < 0 || rt->err_hi < 0)
			report(c, "root negative error", b, rt->err_lo, rt->err_hi);
	}

	/* each single-kind mask gives that kind, or linear as the fallback */
	if (c->roots[0].type != RMI_ROOT_LINEAR)
		report(c, "linear-only root is not linear", 0, c->roots[0].type, 0);
	/* rmi_train's root is the all-kinds one */
	if (memcmp(root, &c->roots[ROOT_ALL], sizeof(RmiRoot)) != 0)
		report(c, "rmi_train root != rmi_train_root(ALL)", 0, root->type,
			   c->roots[ROOT_ALL].type);
	/*
	 * and sends no more lookups astray than any single kind (by their
	 * rank), nor, as few, is costlier to search; ties go to the simpler kind
	 */
	for (b = 0; b < ROOT_ALL; b++)
	{
		long long	miss_all = (long long) RMI_MISS_RANK(rmi_root_miss_rate(root, c->segs, nseg));
		long long	miss = (long long) RMI_MISS_RANK(rmi_root_miss_rate(&c->roots[b], c->segs, nseg));
		double		cost_all = rmi_root_search_cost(root);
		double		cost = rmi_root_search_cost(&c->roots[b]);

		if (miss_all > miss)
			report(c, "chosen root sends more lookups astray than a single kind",
				   b, miss_all, miss);
		if (miss_all == miss && cost_all > cost)
			report(c, "chosen root costlier than a single kind", b,
				   (long long) (cost_all * 1000), (long long) (cost * 1000));
		if (miss_all == miss && cost_all == cost &&
			c->roots[b].type < root->type)
			report(c, "tie not given to the simpler kind", b,
				   c->roots[b].type, root->type);
	}

	for (j = 0; j < nseg; j++)
	{
		const RmiRecord *rec = &c->segs[j];
		uint64_t	start = (uint64_t) j * c->pps_eff;
		uint64_t	count = n - start < c->pps_eff ? n - start : c->pps_eff;

		if (rec->start != start || rec->count != count ||
			rec->first_key != keys[start])
			report(c, "record header", j, rec->start, (long long) start);
		if (!(rec->slope >= 0.0) || !isfinite(rec->slope) ||
			!isfinite(rec->intercept))
			report(c, "record coefficients", j, 0, 0);
		if (rec->err_lo < 0 || rec->err_hi < 0)
			report(c, "record negative error", j, rec->err_lo, rec->err_hi);
	}
}

static void
check_all_probes(Context *c)
{
	const int64_t *keys = c->ks->keys;
	uint32_t	n = c->ks->n;
	uint32_t	i;
	int			p;
	static const int64_t fixed[] = {
		INT64_MIN, INT64_MIN + 1, INT64_MIN + 2, -1, 0, 1,
		INT64_MAX - 2, INT64_MAX - 1, INT64_MAX
	};

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_probe(c, fixed[i]);

	for (i = 0; i < n; i++)
	{
		int64_t		x = keys[i];

		/* skip repeats of a duplicated key: same probes again */
		if (i > 0 && keys[i - 1] == x)
			continue;
		check_probe(c, x);
		if (x > INT64_MIN)
			check_probe(c, x - 1);
		if (x < INT64_MAX)
			check_probe(c, x + 1);
		if (i + 1 < n)
		{
			/* midpoint, in uint64 so that huge gaps cannot overflow */
			uint64_t	gap = (uint64_t) keys[i + 1] - (uint64_t) x;

			if (gap > 2)
				check_probe(c, (int64_t) ((uint64_t) x + gap / 2));
		}
	}

	/* random probes, half anywhere and half within the key range */
	for (p = 0; p < 2000; p++)
	{
		if (p % 2 == 0)
			check_probe(c, (int64_t) rng_next());
		else
		{
			uint64_t	span = (uint64_t) keys[n - 1] - (uint64_t) keys[0];
			uint64_t	off = span == UINT64_MAX ? rng_next()
				: rng_below(span + 1);

			check_probe(c, (int64_t) ((uint64_t) keys[0] + off));
		}
	}
}

/* -------------------------------------------- simulated splits and regrowth */

/*
 * After training, leaves keep splitting: each split inserts a new fence into
 * one record's list (never before position 0, with a key between its
 * neighbours or equal to one), so positions move right while the record's
 * fit stays as trained.  A full record splits in two and only the new half
 * is refitted.  rmi_record_search must still give the exact answer over the
 * list as it is now, and rmi_find_record the exact record, since no first
 * key changed (the new halves bring their own).
 *
 * Per combination, a sample of records (always the first and the last) is
 * grown by 1x to 10x its count (or by a few splits), in one of four
 * patterns; each is probed, then record-split and grown again and probed,
 * and its original list thinned and probed with the original fit (windows
 * too far right even for keys routed there, which growth never gives).
 * Every probe is also searched in the probed list whatever its route, so
 * keys outside the list's range are covered.  Lists longer than
 * SIM_PROBE_ALL positions are probed at a random sample of positions.
 */
#define SIM_PROBE_BUDGET	80000	/* probes per combination, roughly */
#define SIM_PROBE_ALL		8000	/* positions probed per list, at most */
#define SIM_SPLIT_MAX		20000	/* entries refitted per record split */
#define SIM_REGROW_MAX		(1u << 21)	/* regrowth stops adding 1x at this */

typedef struct SimList
{
	int64_t    *keys;
	uint32_t	n;
} SimList;

typedef struct SimSearch
{
	const int64_t *keys;
	uint32_t	n;
	int64_t		x;
	uint32_t	calls;
	uint32_t	bad_calls;		/* position 0 or past the list */
} SimSearch;

typedef struct Sim
{
	Context    *c;
	RmiRoot		root;			/* the trained root, adjusted for record splits */
	RmiRecord *segs;			/* stale fits, the new halves' fits inserted */
	SimList    *lists;			/* each record's list now */
	uint32_t	nseg;
	int64_t   **owned;			/* grown lists to free */
	uint32_t	nowned;
	uint32_t	owned_alloc;
} Sim;

static struct
{
	uint64_t	lists_grown;
	double		growth_sum;		/* grown length / original length */
	uint32_t	grown_max;		/* longest list, positions */
	uint64_t	record_splits;
	uint64_t	thinned;
	uint64_t	probes;
	uint64_t	searches;
	uint64_t	outside_left;	/* answer left of the (clamped) fit window */
	uint64_t	outside_right;
} sim_stats;

static int
sim_at_or_before(const void *ctx, uint32_t position)
{
	SimSearch  *s = (SimSearch *) ctx;

	s->calls++;
	if (position == 0 || position >= s->n)
	{
		s->bad_calls++;
		return position == 0;
	}
	return s->keys[position] < s->x;
}

static int64_t *
sim_alloc(Sim *sim, uint64_t n)
{
	int64_t    *p = malloc((size_t) (n ? n : 1) * sizeof(int64_t));

	if (!p)
		abort();
	if (sim->nowned == sim->owned_alloc)
	{
		sim->owned_alloc = sim->owned_alloc ? sim->owned_alloc * 2 : 64;
		sim->owned = realloc(sim->owned, sim->owned_alloc * sizeof(int64_t *));
		if (!sim->owned)
			abort();
	}
	sim->owned[sim->nowned++] = p;
	return p;
}

/* ceil(log2(n)) */
static uint32_t
ceil_log2(uint32_t n)
{
	uint32_t	b = 0;

	while (b < 32 && (UINT64_C(1) << b) < n)
		b++;
	return b;
}

/*
 * rmi_record_search of fit over list[0..n) against brute force; where says
 * which check failed.
 */
static void
sim_check_search(Sim *sim, const RmiRecord *fit, const int64_t *list,
				 uint32_t n, int64_t x, const char *where)
{
	SimSearch	s;
	uint32_t	got;
	uint32_t	want = oracle_target(list, n, x);
	uint32_t	lo;
	uint32_t	hi;

	s.keys = list;
	s.n = n;
	s.x = x;
	s.calls = 0;
	s.bad_calls = 0;
	got = rmi_record_search(fit, x, n, sim_at_or_before, &s);
	sim_stats.searches++;
	if (got != want)
		report(sim->c, where, x, got, want);
	if (s.bad_calls)
		report(sim->c, "segment_search asked about position 0 or past the list",
			   x, s.bad_calls, n);
	/* two checks of the window, then one binary search */
	if (s.calls > 2 + ceil_log2(n))
		report(sim->c, "segment_search made too many calls", x, s.calls, n);

	/* how often the answer was outside the stale window */
	rmi_record_window(fit, x, &lo, &hi);
	lo -= fit->start;
	hi -= fit->start;
	if (hi > n - 1)
		hi = n - 1;
	if (lo > hi)
		lo = hi;
	if (want < lo)
		sim_stats.outside_left++;
	else if (want > hi)
		sim_stats.outside_right++;
}

/* max { j : lists[j].keys[0] < x }, or 0: the record holding the target */
static uint32_t
sim_oracle_route(const Sim *sim, int64_t x)
{
	uint32_t	lo = 0;
	uint32_t	hi = sim->nseg;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (sim->lists[mid].keys[0] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

/* One probe around record j: its own search, then the routed lookup. */
static void
sim_probe(Sim *sim, uint32_t j, int64_t x)
{
	uint32_t	r = rmi_find_record(&sim->root, sim->segs, x);
	uint32_t	want = sim_oracle_route(sim, x);

	sim_stats.probes++;
	sim_check_search(sim, &sim->segs[j], sim->lists[j].keys, sim->lists[j].n,
					 x, "segment_search on a grown list");
	if (r != want)
		report(sim->c, "find_segment after splits", x, r, want);
	else if (r != j)
		sim_check_search(sim, &sim->segs[r], sim->lists[r].keys,
						 sim->lists[r].n, x, "segment_search on a routed list");
}

/* The first key of the record after j, or INT64_MAX: appends stay below. */
static int64_t
sim_upper(const Sim *sim, uint32_t j)
{
	return j + 1 < sim->nseg ? sim->lists[j + 1].keys[0] : INT64_MAX;
}

/* Every present key (or a sample), neighbours, midpoints, extremes. */
static void
sim_probe_list(Sim *sim, uint32_t j)
{
	const int64_t *k = sim->lists[j].keys;
	uint32_t	n = sim->lists[j].n;
	int64_t		upper = sim_upper(sim, j);
	uint64_t	span = (uint64_t) upper - (uint64_t) k[0];
	int64_t		fixed[] = {
		INT64_MIN, INT64_MAX, sat_add(k[0], -1), k[0], sat_add(k[0], 1),
		sat_add(k[n - 1], 1), sat_add(upper, -1), upper, sat_add(upper, 1)
	};
	uint32_t	nprobe = n <= SIM_PROBE_ALL ? n : SIM_PROBE_ALL;
	uint32_t	t;

	for (t = 0; t < sizeof(fixed) / sizeof(fixed[0]); t++)
		sim_probe(sim, j, fixed[t]);
	for (t = 0; t < nprobe; t++)
	{
		uint32_t	i = n <= SIM_PROBE_ALL ? t : (uint32_t) rng_below(n);
		int64_t		x = k[i];
		int64_t		next = i + 1 < n ? k[i + 1] : upper;

		if (i > 0 && k[i - 1] == x && n <= SIM_PROBE_ALL)
			continue;
		sim_probe(sim, j, x);
		sim_probe(sim, j, sat_add(x, -1));
		sim_probe(sim, j, sat_add(x, 1));
		if ((uint64_t) next - (uint64_t) x > 2)
			sim_probe(sim, j, (int64_t) ((uint64_t) x +
										 ((uint64_t) next - (uint64_t) x) / 2));
	}
	for (t = 0; t < 16; t++)
		sim_probe(sim, j, t < 4 ? (int64_t) rng_next() :
				  (int64_t) ((uint64_t) k[0] +
							 (span == UINT64_MAX ? rng_next() : rng_below(span + 1))));
}

/*
 * m keys in [a, b] (a <= b), non-decreasing: between a and b where there is
 * room, sometimes in a dense ascending run, and sometimes equal to a or b.
 */
static void
sim_fill_gap(int64_t *out, uint64_t m, int64_t a, int64_t b)
{
	uint64_t	span = (uint64_t) b - (uint64_t) a;
	uint64_t	ndup_a = 0;
	uint64_t	ndup_b = 0;
	uint64_t	nmid;
	uint64_t	i;
	int			kind = (int) rng_below(8);

	if (kind == 0)
		ndup_a = m;
	else if (kind == 1)
		ndup_b = m;
	else if (kind == 2)
	{
		ndup_a = m / 3;
		ndup_b = m / 3;
	}
	nmid = m - ndup_a - ndup_b;
	if (span < 2)
	{
		/* no room between: duplicates only */
		ndup_a += nmid / 2;
		ndup_b += nmid - nmid / 2;
		nmid = 0;
	}

	for (i = 0; i < ndup_a; i++)
		*out++ = a;
	if (nmid > 0 && rng_below(2) && nmid <= span - 1)
	{
		/* an ascending run: a + step, a + 2 step, ... */
		uint64_t	step = 1 + rng_below((span - 1) / nmid);

		for (i = 0; i < nmid; i++)
			*out++ = (int64_t) ((uint64_t) a + 1 + i * step);
	}
	else if (nmid > 0)
	{
		/* one random key in each of nmid equal strata of (a, b) */
		double		w = (double) (span - 1) / (double) nmid;
		uint64_t	prev = 0;

		for (i = 0; i < nmid; i++)
		{
			double		d = ((double) i + rng_unit()) * w;
			uint64_t	off = d >= (double) (span - 1) ? span - 2 : (uint64_t) d;

			if (off > span - 2)
				off = span - 2;
			if (off < prev)
				off = prev;
			prev = off;
			*out++ = (int64_t) ((uint64_t) a + 1 + off);
		}
	}
	for (i = 0; i < ndup_b; i++)
		*out++ = b;
}

/*
 * Grow record j's list by ninsert fences, as leaf splits would: after
 * position 0, between neighbours (appends below the next record's first
 * key).  Patterns: 0 random places, 1 appends only, 2 half of each, 3 one
 * hot spot.
 */
static void
sim_grow(Sim *sim, uint32_t j, uint64_t ninsert, int pattern)
{
	const int64_t *k = sim->lists[j].keys;
	uint32_t	n = sim->lists[j].n;
	int64_t		upper = sim_upper(sim, j);
	uint32_t   *cnt = calloc(n, sizeof(uint32_t));
	int64_t    *out;
	uint64_t	len = n + ninsert;
	uint64_t	i;
	uint32_t	g;

	if (!cnt)
		abort();
	if (len > UINT32_MAX / 2)
		abort();
	switch (pattern)
	{
		case 0:
			for (i = 0; i < ninsert; i++)
				cnt[rng_below(n)]++;
			break;
		case 1:
			cnt[n - 1] += ninsert;
			break;
		case 2:
			for (i = 0; i < ninsert / 2; i++)
				cnt[rng_below(n)]++;
			cnt[n - 1] += ninsert - ninsert / 2;
			break;
		default:
			cnt[rng_below(n)] += ninsert;
			break;
	}

	out = sim_alloc(sim, len);
	i = 0;
	for (g = 0; g < n; g++)
	{
		out[i++] = k[g];
		sim_fill_gap(out + i, cnt[g], k[g], g + 1 < n ? k[g + 1] : upper);
		i += cnt[g];
	}
	free(cnt);

	sim_stats.lists_grown++;
	sim_stats.growth_sum += (double) len / (double) n;
	if (len > sim_stats.grown_max)
		sim_stats.grown_max = (uint32_t) len;
	sim->lists[j].keys = out;
	sim->lists[j].n = (uint32_t) len;
}

/*
 * Inserts for one growth: a few splits, or 1x to 10x the list; a regrowth
 * keeps a list longer than SIM_REGROW_MAX to a few splits.
 */
static uint64_t
sim_growth(uint32_t n, int regrow)
{
	static const uint32_t factors[] = {0, 1, 2, 4, 10};
	uint32_t	f = (uint32_t) rng_below(6);
	uint64_t	few = 1 + rng_below(n / 10 + 1);
	uint64_t	m;

	if (f == 0)
		return few;
	if (f == 5)
		m = (uint64_t) n * (1 + rng_below(10));
	else
		m = (uint64_t) n * factors[f];
	if (regrow && n + m > SIM_REGROW_MAX)
		m = n < SIM_REGROW_MAX ? SIM_REGROW_MAX - n : few;
	return m;
}

/*
 * The original list of record j thinned (position 0 kept), probed with the
 * original fit: answers move left of the window, which growth never does.
 */
static void
sim_thin(Sim *sim, const RmiRecord *fit, const int64_t *k, uint32_t n)
{
	int64_t    *t = malloc((size_t) n * sizeof(int64_t));
	uint32_t	m = 0;
	uint32_t	i;
	uint32_t	nprobe = n <= SIM_PROBE_ALL ? n : SIM_PROBE_ALL;
	uint32_t	keep = 1 + (uint32_t) rng_below(4);	/* keep 1 in keep */

	if (!t)
		abort();
	for (i = 0; i < n; i++)
		if (i == 0 || rng_below(keep) == 0)
			t[m++] = k[i];
	sim_stats.thinned++;
	for (i = 0; i < nprobe; i++)
	{
		int64_t		x = k[n <= SIM_PROBE_ALL ? i : rng_below(n)];

		sim_check_search(sim, fit, t, m, x, "segment_search on a thinned list");
		sim_check_search(sim, fit, t, m, sat_add(x, 1),
						 "segment_search on a thinned list");
	}
	free(t);
}

/*
 * Record splits: each record j with split[j] set is cut in two at a random
 * place, the upper part becoming a new record refitted on its own list
 * (start 0), the lower keeping its stale fit (learned_record_split refits
 * both; a stale one also covers a fit longer than its list).  The root
 * keeps its coefficients with bounds one wider per split, as
 * learned_record_split leaves it.  Then both halves grow again.
 */
static void
sim_record_splits(Sim *sim, const uint8_t *split, uint32_t nsplits)
{
	uint32_t	old = sim->nseg;
	RmiRecord *segs = malloc((size_t) (old + nsplits) * sizeof(RmiRecord));
	SimList    *lists = malloc((size_t) (old + nsplits) * sizeof(SimList));
	uint8_t    *probe = calloc(old + nsplits, 1);
	uint32_t	nseg;
	uint32_t	j;
	uint32_t	k = 0;

	if (!segs || !lists || !probe)
		abort();
	for (j = 0; j < old; j++)
	{
		SimList		l = sim->lists[j];

		segs[k] = sim->segs[j];
		lists[k] = l;
		if (split[j] && l.n >= 2)
		{
			uint32_t	how = (uint32_t) rng_below(3);
			uint32_t	cut = how == 0 ? l.n / 2 : how == 1 ? l.n - l.n / 10 :
				1 + (uint32_t) rng_below(l.n - 1);
			RmiRoot		unused;

			if (cut < 1)
				cut = 1;
			if (cut > l.n - 1)
				cut = l.n - 1;
			if (l.n - cut > SIM_SPLIT_MAX)
				cut = l.n - SIM_SPLIT_MAX;
			lists[k].n = cut;
			probe[k] = 1;
			k++;
			lists[k].keys = l.keys + cut;
			lists[k].n = l.n - cut;
			rmi_train(lists[k].keys, lists[k].n, lists[k].n, &unused, &segs[k]);
			probe[k] = 1;
			sim_stats.record_splits++;
		}
		k++;
	}
	nseg = k;
	nsplits = nseg - old;
	free(sim->segs);
	free(sim->lists);
	sim->segs = segs;
	sim->lists = lists;
	sim->nseg = nseg;
	sim->root.nrecords += nsplits;
	if (sim->root.err_lo < INT32_MAX - (int32_t) nsplits)
		sim->root.err_lo += nsplits;
	if (sim->root.err_hi < INT32_MAX - (int32_t) nsplits)
		sim->root.err_hi += nsplits;

	/* check the cut lists, then regrow them and check again */
	for (j = 0; j < nseg; j++)
		if (probe[j])
			sim_probe_list(sim, j);
	for (j = 0; j < nseg; j++)
		if (probe[j])
		{
			sim_grow(sim, j, sim_growth(sim->lists[j].n, 1), (int) rng_below(4));
			sim_probe_list(sim, j);
		}
	free(probe);
}

static uint64_t
sim_seed(const char *name, uint32_t pps)
{
	uint64_t	h = UINT64_C(1469598103934665603);

	while (*name)
		h = (h ^ (uint8_t) *name++) * UINT64_C(1099511628211);
	return h ^ ((uint64_t) pps * UINT64_C(0x9E3779B97F4A7C15));
}

static void
check_splits(Context *c)
{
	const KeySet *ks = c->ks;
	uint32_t	nseg = c->root->nrecords;
	uint64_t	saved_rng = rng_state;
	uint64_t	per_segment;
	uint64_t	want;
	uint8_t    *chosen;
	uint32_t	nchosen = 0;
	Sim			sim;
	uint32_t	j;

	if (nseg == 0)
		return;
	rng_seed(sim_seed(ks->name, c->pps));

	memset(&sim, 0, sizeof(sim));
	sim.c = c;
	sim.root = *c->root;
	sim.nseg = nseg;
	sim.segs = malloc((size_t) nseg * sizeof(RmiRecord));
	sim.lists = malloc((size_t) nseg * sizeof(SimList));
	chosen = calloc(nseg, 1);
	if (!sim.segs || !sim.lists || !chosen)
		abort();
	memcpy(sim.segs, c->segs, (size_t) nseg * sizeof(RmiRecord));
	for (j = 0; j < nseg; j++)
	{
		sim.lists[j].keys = ks->keys + c->segs[j].start;
		sim.lists[j].n = c->segs[j].count;
	}

	/* about SIM_PROBE_BUDGET probes in all; the first and last record */
	per_segment = 8 * ((uint64_t) (ks->n / nseg) * 5 < SIM_PROBE_ALL ?
					   (uint64_t) (ks->n / nseg) * 5 : SIM_PROBE_ALL) + 50;
	want = SIM_PROBE_BUDGET / per_segment;
	for (j = 0; j < nseg; j++)
		if (j == 0 || j == nseg - 1 || rng_below(nseg) < want)
		{
			chosen[j] = 1;
			nchosen++;
		}

	for (j = 0; j < nseg; j++)
		if (chosen[j])
			sim_grow(&sim, j, sim_growth(sim.lists[j].n, 0), (int) rng_below(4));
	for (j = 0; j < nseg; j++)
		if (chosen[j])
		{
			sim_probe_list(&sim, j);
			sim_thin(&sim, &c->segs[j], ks->keys + c->segs[j].start,
					 c->segs[j].count);
		}

	/* then record splits of those lists, and growth again */
	sim_record_splits(&sim, chosen, nchosen);

	for (j = 0; j < sim.nowned; j++)
		free(sim.owned[j]);
	free(sim.owned);
	free(sim.segs);
	free(sim.lists);
	free(chosen);
	rng_state = saved_rng;
}

/* Returns 1 if the combination passed. */
static int
run_combination(const KeySet *ks, uint32_t pps_arg, Stats *st)
{
	uint32_t	pps = pps_arg ? pps_arg : ks->n + 1;
	uint32_t	nseg = rmi_record_count(ks->n, pps);
	RmiRecord *segs = malloc((size_t) (nseg ? nseg : 1) * sizeof(RmiRecord));
	RmiRoot		root;
	Context		c;

	if (!segs)
		abort();
	memset(st, 0, sizeof(*st));
	memset(&root, 0x7f, sizeof(root));
	memset(segs, 0x7f, (size_t) nseg * sizeof(RmiRecord));
	rmi_train(ks->keys, ks->n, pps, &root, segs);

	memset(&c, 0, sizeof(c));
	{
		int			b;

		for (b = 0; b < NROOTS; b++)
		{
			memset(&c.roots[b], 0x7f, sizeof(RmiRoot));
			rmi_train_root(&c.roots[b], segs, nseg, root_masks[b]);
		}
	}
	c.ks = ks;
	c.pps = pps;
	c.pps_eff = pps;
	c.root = &root;
	c.segs = segs;
	c.st = st;

	/* a root that predicts the wrong record with no slack at all */
	c.bad_roots[0] = root;
	c.bad_roots[0].err_lo = c.bad_roots[0].err_hi = 0;
	c.bad_roots[0].coef[0] += 3.0;
	/* one with negative bounds and a steep slope */
	c.bad_roots[1] = root;
	c.bad_roots[1].err_lo = -5;
	c.bad_roots[1].err_hi = -2;
	c.bad_roots[1].coef[1] = root.coef[1] * 7.0 + 1e-12;
	/* one of an unknown type */
	c.bad_roots[2] = root;
	c.bad_roots[2].type = 99;
	/* a spline with too many knots, and one with knots out of order */
	c.bad_roots[3] = c.roots[2];
	c.bad_roots[3].type = RMI_ROOT_SPLINE;
	c.bad_roots[3].nknots = RMI_SPLINE_MAX_KNOTS + 7;
	c.bad_roots[3].err_lo = c.bad_roots[3].err_hi = 0;
	c.bad_roots[4] = c.roots[2];
	c.bad_roots[4].type = RMI_ROOT_SPLINE;
	c.bad_roots[4].nknots = 3;
	c.bad_roots[4].knot_key[0] = INT64_MAX;
	c.bad_roots[4].knot_key[1] = INT64_MIN;
	c.bad_roots[4].knot_key[2] = 0;
	c.bad_roots[4].knot_pos[0] = UINT32_MAX;
	c.bad_roots[4].knot_pos[1] = 0;
	c.bad_roots[4].knot_pos[2] = 7;
	c.bad_roots[4].err_lo = 1;
	c.bad_roots[4].err_hi = 0;

	check_structure(&c);
	check_all_probes(&c);
	check_splits(&c);
	{
		int			b;

		for (b = 0; b < NROOTS; b++)
		{
			st->root_type[b] = c.roots[b].type;
			st->root_width[b] = (uint32_t) c.roots[b].err_lo +
				(uint32_t) c.roots[b].err_hi + 1;
		}
	}

	free(segs);
	return st->failures == 0;
}

/* ------------------------------------------------------- separate checks */

/*
 * Sort the probe keys xs and evaluate the root at each: add to *violations
 * every prediction below the one before it (reporting the first few), and
 * return the number of probes.
 */
static uint64_t
count_decreases(const RmiRoot *root, int64_t *xs, int nx, const char *kind,
				uint64_t *violations)
{
	uint32_t	prev = 0;
	int			i;

	qsort(xs, nx, sizeof(int64_t), cmp_int64);
	for (i = 0; i < nx; i++)
	{
		uint32_t	p = rmi_root_predict(root, xs[i]);

		if (i > 0 && p < prev)
		{
			if ((*violations)++ < MAX_REPORTED)
				printf("  FAIL %s not monotone: x=%lld p=%u prev=%u\n",
					   kind, (long long) xs[i], p, prev);
		}
		prev = p;
	}
	return (uint64_t) nx;
}

/*
 * The cubic root's prediction must be monotone as evaluated, not just in
 * exact arithmetic.  Use roots over the full uint32 range of records (so
 * that floor() exposes small steps) with random coefficients of every
 * scale, and probe sorted x at random, around the inflection point (where
 * u = d - a changes sign) and in runs of consecutive keys.
 */
static int
check_cubic_monotone(void)
{
	int			trial;
	uint64_t	violations = 0;
	uint64_t	probes = 0;

	rng_seed(99);
	for (trial = 0; trial < 3000; trial++)
	{
		RmiRoot		root;
		double		dmax = ldexp(1.0, 1 + (int) rng_below(64));
		double		a = (rng_unit() * 5.0 - 2.0) * dmax;
		double		span = ldexp(1.0, (int) rng_below(32));
		double		c3 = span * rng_unit() / (dmax * dmax * dmax);
		double		c1 = (trial % 3 == 0) ? 0.0 : span * rng_unit() / dmax;
		int64_t		xs[600];
		int			nx = 0;
		int			i;

		memset(&root, 0, sizeof(root));
		root.type = RMI_ROOT_CUBIC;
		root.nrecords = UINT32_MAX;
		root.min_key = (trial % 4 == 0) ? INT64_MIN : (int64_t) rng_next();
		root.coef[1] = c1;
		root.coef[2] = a;
		root.coef[3] = c3;
		/* put the inflection point's prediction mid-range */
		root.coef[0] = 2147483648.0 - c1 * (a > 0 ? a : 0);

		for (i = 0; i < 200; i++)
			xs[nx++] = (int64_t) rng_next();
		/* around the inflection point, where u changes sign */
		{
			uint64_t	ai = a > 0 ? (uint64_t) a : 0;
			int64_t		xa = (int64_t) ((uint64_t) root.min_key + ai);

			for (i = 0; i < 200; i++)
				xs[nx++] = sat_add(xa, (int64_t) rng_below(2000) - 1000);
			for (i = 0; i < 200; i++)
				xs[nx++] = sat_add(xa, (int64_t) (rng_normal() * dmax / 64));
		}
		probes += count_decreases(&root, xs, nx, "cubic", &violations);
	}
	printf("%-5s cubic root monotone: %llu probes, %llu decreases\n",
		   violations ? "FAIL" : "ok", (unsigned long long) probes,
		   (unsigned long long) violations);
	return violations == 0;
}

/*
 * The spline root's prediction must be monotone as evaluated: random knots
 * over the whole int64 range (with the extremes as knots), positions with
 * steps from 0 to billions, probed at random, at every knot and its
 * neighbours, and in runs of consecutive keys.
 */
static int
check_spline_monotone(void)
{
	int			trial;
	uint64_t	violations = 0;
	uint64_t	probes = 0;

	rng_seed(98);
	for (trial = 0; trial < 3000; trial++)
	{
		RmiRoot		root;
		int64_t		keys[RMI_SPLINE_MAX_KNOTS];
		uint32_t	nknots = 2 + (uint32_t) rng_below(RMI_SPLINE_MAX_KNOTS - 1);
		uint32_t	pos = (uint32_t) rng_below(1000);
		int64_t		xs[1200];
		int			nx = 0;
		uint32_t	k;
		int			i;

		memset(&root, 0, sizeof(root));
		root.type = RMI_ROOT_SPLINE;
		root.nrecords = UINT32_MAX;
		root.coef[0] = rng_unit() - 0.5;
		root.nknots = nknots;
		for (k = 0; k < nknots; k++)
		{
			if (trial % 5 == 0)
				keys[k] = (int64_t) rng_next();
			else
				keys[k] = (int64_t) rng_below(1000 * (k + 1)) +
					(int64_t) rng_below(3) * (INT64_C(1) << 60);
		}
		if (trial % 7 == 0)
			keys[0] = INT64_MIN;
		if (trial % 11 == 0)
			keys[nknots - 1] = INT64_MAX;
		qsort(keys, nknots, sizeof(int64_t), cmp_int64);
		/* strictly increasing: drop repeats by shrinking the knot count */
		for (k = 1, i = 1; k < nknots; k++)
			if (keys[k] != keys[i - 1])
				keys[i++] = keys[k];
		if (i < 2)
			continue;
		root.nknots = nknots = (uint32_t) i;
		for (k = 0; k < nknots; k++)
		{
			uint64_t	step = (rng_below(4) == 0) ? 0 :
				rng_below(rng_below(2) ? 3 : 400000000);

			root.knot_key[k] = keys[k];
			root.knot_pos[k] = pos;
			pos = (pos + step >= UINT32_MAX - 1) ? pos : (uint32_t) (pos + step);
		}

		for (i = 0; i < 300; i++)
			xs[nx++] = (int64_t) rng_next();
		for (k = 0; k < nknots && nx + 40 < 1200; k++)
		{
			int			d;

			for (d = -2; d <= 2; d++)
				xs[nx++] = sat_add(keys[k], d);
			if (k + 1 < nknots)
			{
				uint64_t	gap = (uint64_t) keys[k + 1] - (uint64_t) keys[k];

				for (d = 0; d < 30; d++)
					xs[nx++] = (int64_t) ((uint64_t) keys[k] + rng_below(gap));
			}
		}
		probes += count_decreases(&root, xs, nx, "spline", &violations);
	}
	printf("%-5s spline root monotone: %llu probes, %llu decreases\n",
		   violations ? "FAIL" : "ok", (unsigned long long) probes,
		   (unsigned long long) violations);
	return violations == 0;
}

/* ------------------------------------------------------------- chooser */

static const uint32_t choose_pps[] = {16, 32, 64, 128, 256};
#define NCHOOSE_PPS	((int) (sizeof(choose_pps) / sizeof(choose_pps[0])))

/* The build's cache model, with a budget to choose. */
static RmiCacheModel
cache_model(double budget)
{
	RmiCacheModel cm;

	cm.budget_bytes = budget;
	cm.fixed_bytes = 1024;
	cm.bytes_per_record = 120;
	cm.bytes_per_leaf = 18;
	return cm;
}

/*
 * rmi_choose on one key set: the model it returns must be what
 * rmi_train_kinds trains for its choice, route and bound every key exactly,
 * and no candidate may beat it on the stated order; its reason must be the
 * criterion that separated it.  Prints the choice.
 */
static int
check_choice(const char *name, const int64_t *keys, uint32_t n,
			 const uint32_t *cands, int ncands, uint32_t mask, double budget,
			 RmiChoice *out)
{
	RmiCacheModel cm = cache_model(budget);
	uint32_t	nseg_max = rmi_record_count(n, 1);
	RmiRecord *segs = malloc((size_t) (nseg_max ? nseg_max : 1) * sizeof(RmiRecord));
	RmiRecord *segs2 = malloc((size_t) (nseg_max ? nseg_max : 1) * sizeof(RmiRecord));
	RmiRoot		root;
	RmiRoot		root2;
	RmiChoice	ch;
	uint32_t	nseg;
	uint32_t	i;
	int			c;
	int			bad = 0;
	int			weakest = 0;

	if (!segs || !segs2)
		abort();
	if (!rmi_choose(keys, n, cands, ncands, mask, &cm, &root, segs, &ch))
	{
		printf("FAIL  choose %-20s: no choice\n", name);
		free(segs);
		free(segs2);
		return 0;
	}
	nseg = rmi_record_count(n, ch.leaves_per_record);

	/* the model returned is the one trained for the choice */
	rmi_train_kinds(keys, n, ch.leaves_per_record, 1u << ch.root_type,
					&root2, segs2);
	if (memcmp(&root, &root2, sizeof(RmiRoot)) != 0 ||
		memcmp(segs, segs2, nseg * sizeof(RmiRecord)) != 0 ||
		root.type != ch.root_type || root.nrecords != nseg)
		bad++;

	/* exact for every key, its neighbours and the extremes */
	for (i = 0; i < n; i++)
	{
		int64_t		probe[3];
		int			q;

		probe[0] = keys[i];
		probe[1] = sat_add(keys[i], -1);
		probe[2] = sat_add(keys[i], 1);
		for (q = 0; q < 3; q++)
		{
			uint32_t	t = oracle_target(keys, n, probe[q]);
			uint32_t	lo;
			uint32_t	hi;

			rmi_lookup(&root, segs, probe[q], &lo, &hi);
			if (rmi_find_record(&root, segs, probe[q]) !=
				oracle_route(segs, nseg, probe[q]) || t < lo || t > hi)
				bad++;
		}
	}

	/*
	 * No candidate is better, and the reason is what separated the choice
	 * from the best candidate of every other record size.
	 */
	for (c = 0; c < ncands; c++)
	{
		int			kind;
		double		mean;
		uint32_t	max;
		uint32_t	cs = rmi_record_count(n, cands[c]);
		long long	size_rp = 0;
		long long	size_rc = 0;
		long long	size_rm = 0;
		int			size_kind = 0;
		double		size_bytes = 0;
		int			have_size = 0;
		long long	bp = llround(ch.expected_pages * 1000.0);
		long long	bc = llround(ch.search_cost * 4.0);

		for (kind = RMI_ROOT_LINEAR; kind <= RMI_ROOT_SPLINE; kind++)
		{
			double		pages;
			double		cost;
			double		bytes;
			long long	rp;
			long long	rc;
			long long	rm;

			if (!(mask & (1u << kind)))
				continue;
			rmi_train_kinds(keys, n, cands[c], 1u << kind, &root2, segs2);
			rmi_window_stats(keys, n, segs2, cs, &mean, &max);
			pages = rmi_expected_pages(&cm, n, cs);
			cost = rmi_root_search_cost(&root2) + log2(mean);
			bytes = rmi_cache_bytes(&cm, n, cs);
			rp = llround(pages * 1000.0);
			rc = llround(cost * 4.0);
			rm = (long long) floor(rmi_root_miss_rate(&root2, segs2, cs) * 20.0);

			/* each size's kind: fewest lookups astray, then the search */
			if (!have_size || rm < size_rm || (rm == size_rm && rc < size_rc))
			{
				size_rp = rp;
				size_rc = rc;
				size_rm = rm;
				size_kind = root2.type;
				size_bytes = bytes;
				have_size = 1;
			}
		}
		if (have_size && cands[c] == ch.leaves_per_record &&
			size_kind != ch.root_type)
		{
			printf("  FAIL choose %s: pps %u should have a %s root\n", name,
				   cands[c], rmi_root_kind_name(size_kind));
			bad++;
		}
		if (have_size &&
			(size_rp < bp || (size_rp == bp && size_rc < bc) ||
			 (size_rp == bp && size_rc == bc && size_bytes < ch.cache_bytes)))
		{
			printf("  FAIL choose %s: pps %u %s beats the choice\n", name,
				   cands[c], rmi_root_kind_name(size_kind));
			bad++;
		}
		if (have_size && cands[c] != ch.leaves_per_record)
		{
			int			level = size_rp != bp ? RMI_CHOSEN_PAGES :
				size_rc != bc ? RMI_CHOSEN_SEARCH :
				size_bytes != ch.cache_bytes ? RMI_CHOSEN_CACHE :
				RMI_CHOSEN_ORDER;

			if (level > weakest)
				weakest = level;
		}
	}
	if (weakest == 0)
		weakest = RMI_CHOSEN_ONLY;
	if (ch.reason != weakest)
	{
		printf("  FAIL choose %s: reason %d, expected %d\n", name, ch.reason,
			   weakest);
		bad++;
	}

	printf("%-5s choose %-20s n=%-6u budget %8.0f: pps %u %s, %u candidates,"
		   " pages %.3f, search %.2f, cache %.0f, reason %d\n",
		   bad ? "FAIL" : "ok", name, n, budget, ch.leaves_per_record,
		   rmi_root_kind_name(ch.root_type), ch.ncandidates,
		   ch.expected_pages, ch.search_cost, ch.cache_bytes, ch.reason);
	*out = ch;
	free(segs);
	free(segs2);
	return bad == 0;
}

/*
 * rmi_root_miss_rate on records with evenly spaced first keys: an exact
 * line sends no lookup astray; the same line shifted by a quarter, a half
 * or three quarters of a record sends that share of each record's keys to
 * the next one.
 */
static void
check_miss_rate(int *passed, int *failed)
{
	RmiRecord	recs[64];
	RmiRoot		root;
	double		shifts[4] = {0.0, 0.25, 0.5, 0.75};
	int			ok = 1;
	int			i;

	memset(recs, 0, sizeof(recs));
	for (i = 0; i < 64; i++)
		recs[i].first_key = (int64_t) i * 1000 - 5000;
	rmi_train_root(&root, recs, 64, 1u << RMI_ROOT_LINEAR);
	for (i = 0; i < 4; i++)
	{
		RmiRoot		shifted = root;
		double		rate;

		shifted.coef[0] += shifts[i];
		rate = rmi_root_miss_rate(&shifted, recs, 64);
		if (fabs(rate - shifts[i]) > 0.002)
		{
			printf("  FAIL miss rate: shift %.2f gives %.4f\n", shifts[i], rate);
			ok = 0;
		}
	}
	/* fewer than two records: nothing to miss */
	if (rmi_root_miss_rate(&root, recs, 1) != 0.0)
		ok = 0;
	printf("%-5s miss rate of a shifted line\n", ok ? "ok" : "FAIL");
	ok ? (*passed)++ : (*failed)++;
}

/* The chooser on a few key sets (as fences: every 500th key) and budgets. */
static void
check_chooser(int *passed, int *failed)
{
	int64_t    *fences = malloc(200000 * sizeof(int64_t));
	RmiChoice	ch;
	int			s;
	int			ok;
	uint32_t	one = 128;

	if (!fences)
		abort();
	for (s = 0; s < nsets; s++)
	{
		const KeySet *ks = &sets[s];
		uint32_t	n = 0;
		uint32_t	i;

		if (strcmp(ks->name, "uniform_200k") != 0 &&
			strcmp(ks->name, "lognormal_dups") != 0 &&
			strcmp(ks->name, "clustered") != 0 &&
			strcmp(ks->name, "poison_huge_gaps") != 0 &&
			strcmp(ks->name, "extremes") != 0 &&
			strcmp(ks->name, "all_dup_max") != 0 &&
			strcmp(ks->name, "n1_min") != 0)
			continue;
		/* a fence per 20 keys: a few thousand "leaves" */
		for (i = 0; i < ks->n; i += 20)
			fences[n++] = ks->keys[i];

		/* a roomy budget: everything cached, so pages tie at 1 */
		ok = check_choice(ks->name, fences, n, choose_pps, NCHOOSE_PPS,
						  RMI_ROOT_KINDS_ALL, 4.0 * 1024 * 1024, &ch);
		if (ok && n > 1 && ch.expected_pages != 1.0)
			ok = 0;
		ok ? (*passed)++ : (*failed)++;

		/* a tight budget: only part of the lists fit, fewest records win */
		ok = check_choice(ks->name, fences, n, choose_pps, NCHOOSE_PPS,
						  RMI_ROOT_KINDS_ALL, 1024 + n * 9.0, &ch);
		if (ok && n >= 512 &&
			(ch.expected_pages <= 1.0 || ch.leaves_per_record != 256 ||
			 ch.reason != RMI_CHOSEN_PAGES))
		{
			printf("  FAIL choose %s: a tight budget should pick 256 on pages\n",
				   ks->name);
			ok = 0;
		}
		ok ? (*passed)++ : (*failed)++;

		/* one candidate, one kind: pinned */
		ok = check_choice(ks->name, fences, n, &one, 1,
						  1u << RMI_ROOT_SPLINE, 4.0 * 1024 * 1024, &ch);
		if (ok && (ch.reason != RMI_CHOSEN_ONLY || ch.ncandidates != 1 ||
				   ch.leaves_per_record != 128))
			ok = 0;
		ok ? (*passed)++ : (*failed)++;
	}

	/* no kind or no candidate: no choice */
	ok = !rmi_choose(fences, 1, choose_pps, NCHOOSE_PPS, 0,
					 &(RmiCacheModel) {0}, NULL, NULL, &ch) &&
		!rmi_choose(fences, 1, choose_pps, 0, RMI_ROOT_KINDS_ALL,
					&(RmiCacheModel) {0}, NULL, NULL, &ch);
	printf("%-5s choose refuses empty candidate lists\n", ok ? "ok" : "FAIL");
	ok ? (*passed)++ : (*failed)++;
	free(fences);
}

/* Mean lookup window over the given keys (all present in the index). */
static double
mean_window(const RmiRoot *root, const RmiRecord *segs,
			const int64_t *keys, uint32_t from, uint32_t to)
{
	double		sum = 0.0;
	uint32_t	i;

	for (i = from; i < to; i++)
	{
		uint32_t	lo;
		uint32_t	hi;

		rmi_lookup(root, segs, keys[i], &lo, &hi);
		sum += (double) (hi - lo) + 1.0;
	}
	return sum / (double) (to - from);
}

/*
 * "A handful of extreme keys must not stretch a record's fit": one record
 * of dense keys plus 1-3 huge outliers must keep a narrow window over the
 * dense keys.  The limit allows for the one thing no fit can avoid: with an
 * outlier below, the record's base is that outlier, so x - base is huge
 * and both it and slope * (x - base) round to doubles with coarse ulps.
 */
static int
check_outliers(int *passed, int *failed)
{
	static const struct
	{
		const char *name;
		int			nlow;
		int64_t		low[3];
		int			nhigh;
		int64_t		high[3];
	}			cases[] = {
		{"top INT64_MAX", 0, {0}, 1, {INT64_MAX}},
		{"top 1e15", 0, {0}, 1, {INT64_C(1000000000000000)}},
		{"top 3 huge", 0, {0}, 3, {INT64_MAX / 2, INT64_MAX - 5, INT64_MAX}},
		{"top 2 huge", 0, {0}, 2, {INT64_C(1) << 50, INT64_C(1) << 61}},
		{"bottom -1e15", 1, {-INT64_C(1000000000000000)}, 0, {0}},
		{"bottom INT64_MIN", 1, {INT64_MIN}, 0, {0}},
		{"1 below, 2 above", 1, {-(INT64_C(1) << 52)}, 2,
		{INT64_C(1) << 55, INT64_MAX}},
		{"2 below, 1 above", 2, {INT64_MIN, INT64_MIN / 3}, 1, {INT64_MAX}},
		{"3 below, 3 above", 3, {INT64_MIN, -(INT64_C(1) << 60), -(INT64_C(1) << 40)},
		3, {INT64_C(1) << 40, INT64_C(1) << 60, INT64_MAX}},
	};
	const uint32_t ndense = 20000;
	int			ncases = (int) (sizeof(cases) / sizeof(cases[0]));
	int			ok_all = 1;
	int			t;

	for (t = 0; t < ncases; t++)
	{
		uint32_t	n = ndense + cases[t].nlow + cases[t].nhigh;
		int64_t    *keys = malloc(n * sizeof(int64_t));
		RmiRecord	rec;
		RmiRoot		root;
		uint32_t	i;
		uint32_t	k = 0;
		double		w;
		double		dspan;
		double		limit;
		int			ok;

		if (!keys)
			abort();
		for (i = 0; i < (uint32_t) cases[t].nlow; i++)
			keys[k++] = cases[t].low[i];
		for (i = 0; i < ndense; i++)
			keys[k++] = 1000 + 7 * (int64_t) i;
		for (i = 0; i < (uint32_t) cases[t].nhigh; i++)
			keys[k++] = cases[t].high[i];

		rmi_train(keys, n, n, &root, &rec);
		w = mean_window(&root, &rec, keys, cases[t].nlow,
						cases[t].nlow + ndense);
		/*
		 * Resolution of the prediction over the dense keys, in positions:
		 * x - base rounds to ulp(dspan) keys, i.e. ulp / 7 positions, and
		 * slope * (x - base), about dspan / 7, rounds to its own ulp.
		 */
		dspan = (double) ((uint64_t) keys[cases[t].nlow + ndense - 1] -
						  (uint64_t) keys[0]);
		limit = 8.0 + 2.0 * (ldexp(1.0, ilogb(dspan) - 52) / 7.0 +
							 ldexp(1.0, ilogb(dspan / 7.0) - 52));
		ok = w <= limit;
		printf("%-5s outliers %-18s n=%-6u dense-key window mean %.2f"
			   " (limit %.0f)\n", ok ? "ok" : "FAIL", cases[t].name, n, w,
			   limit);
		if (ok)
			(*passed)++;
		else
		{
			(*failed)++;
			ok_all = 0;
		}
		free(keys);
	}
	return ok_all;
}

/*
 * rmi_record_search on tiny lists: no call for 0 or 1 positions, and the
 * exact answer for every x around a list grown far past a stale fit.
 */
static int
check_search_basics(void)
{
	static const int64_t trained[] = {10, 20, 30, 40};
	static const int64_t grown[] = {10, 10, 12, 20, 25, 30, 30, 31, 40, 50, 60};
	RmiRoot		root;
	RmiRecord	rec;
	SimSearch	s;
	uint32_t	n = sizeof(grown) / sizeof(grown[0]);
	int64_t		x;
	int			bad = 0;

	rmi_train(trained, 4, 4, &root, &rec);
	s.keys = grown;
	s.x = 35;
	s.calls = 0;
	s.bad_calls = 0;
	s.n = 0;
	bad += rmi_record_search(&rec, 35, 0, sim_at_or_before, &s) != 0;
	s.n = 1;
	bad += rmi_record_search(&rec, 35, 1, sim_at_or_before, &s) != 0;
	bad += s.calls != 0;
	for (x = 0; x <= 70; x++)
	{
		s.n = n;
		s.x = x;
		if (rmi_record_search(&rec, x, n, sim_at_or_before, &s) !=
			oracle_target(grown, n, x))
			bad++;
	}
	bad += s.bad_calls != 0;
	printf("%-5s segment_search basics\n", bad ? "FAIL" : "ok");
	return bad == 0;
}

/* key sets on which the cubic root must beat the linear one */
static const char *const cubic_should_win[] = {
	"quadratic_keys", "cubic_keys", "sqrt_keys"
};

static int
is_cubic_set(const char *name)
{
	size_t		i;

	for (i = 0; i < sizeof(cubic_should_win) / sizeof(cubic_should_win[0]); i++)
		if (strcmp(name, cubic_should_win[i]) == 0)
			return 1;
	return 0;
}

/* key sets on which the spline root must beat both others */
static const char *const spline_should_win[] = {
	"lognormal_dups", "lognormal_wide", "poison_geometric"
};

static int
is_spline_set(const char *name)
{
	size_t		i;

	for (i = 0; i < sizeof(spline_should_win) / sizeof(spline_should_win[0]); i++)
		if (strcmp(name, spline_should_win[i]) == 0)
			return 1;
	return 0;
}

/*
 * Keys equal to fences.  In the index, keys[] are the leaves' low fences,
 * and a search for x starts, depending on its mode and on the fence's heap
 * TID, anywhere from the last position whose key is below x to the last
 * position whose key is at or below x: the first entry >= x starts left of
 * a fence (x, tid) but at a fence (x, minus infinity), a backward scan
 * from x starts at the last fence of key x, an exact (x, tid) in between.
 * Records are chosen the same way from their first keys, so x equal to a
 * record's first key may be looked up in that record or the one before,
 * and a run of equal keys across a record boundary in either.
 *
 * So for every record j and every x a lookup may bring to it, from its
 * first key (INT64_MIN for record 0) to the next record's first key (or
 * INT64_MAX), both inclusive, the window must hold every position of the
 * record from max { i : keys[i] < x } to max { i : keys[i] <= x } (each
 * taken as the record's first position when none); and the root's window
 * every record from max { j : first_key < x } to max { j : first_key <= x }.
 * Checked on key sets made of runs of equal keys at many record sizes, for
 * rmi_train's records and for each record's list refitted on its own (as
 * a retrain refits a record).
 */

/* max { i in [s, e) : keys[i] < x (or <= x with le) }, or s */
static uint32_t
fence_target(const int64_t *keys, uint32_t s, uint32_t e, int64_t x, int le)
{
	uint32_t	lo = s;
	uint32_t	hi = e;

	/* lo = s + number of keys[s..e) < x (<= x) */
	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (keys[mid] < x || (le && keys[mid] == x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > s ? lo - 1 : s;
}

/* Do the record's window at x and the root's hold every possible start? */
static int
fence_window_ok(const char *name, uint32_t pps, const int64_t *keys,
				const RmiRoot *root, const RmiRecord *records,
				uint32_t nseg, uint32_t j, const RmiRecord *rec,
				uint32_t base, int64_t x, int *reported)
{
	uint32_t	s = records[j].start;
	uint32_t	e = s + records[j].count;
	uint32_t	t_lt = fence_target(keys, s, e, x, 0);
	uint32_t	t_le = fence_target(keys, s, e, x, 1);
	uint32_t	wlo;
	uint32_t	whi;
	int			ok = 1;

	rmi_record_window(rec, x, &wlo, &whi);
	wlo += base;
	whi += base;
	if (wlo > t_lt || whi < t_le)
	{
		if ((*reported)++ < MAX_REPORTED)
			printf("  FAIL %s pps=%u: record %u%s window [%u, %u] at key %lld"
				   " misses a start in [%u, %u]\n", name, pps, j,
				   base ? " (refitted)" : "", wlo, whi, (long long) x,
				   t_lt, t_le);
		ok = 0;
	}
	if (root != NULL && nseg > 1)
	{
		uint32_t	r_lo = 0;
		uint32_t	r_hi = 0;
		int64_t		p = rmi_root_predict(root, x);
		int64_t		lo = root->err_lo == INT32_MAX ? 0 : p - root->err_lo;
		int64_t		hi = root->err_hi == INT32_MAX ? (int64_t) nseg : p + root->err_hi;
		uint32_t	k;

		for (k = 1; k < nseg; k++)
		{
			if (records[k].first_key < x)
				r_lo = k;
			if (records[k].first_key <= x)
				r_hi = k;
		}
		if (lo > (int64_t) r_lo || hi < (int64_t) r_hi)
		{
			if ((*reported)++ < MAX_REPORTED)
				printf("  FAIL %s pps=%u: root window [%lld, %lld] at key %lld"
					   " misses a record in [%u, %u]\n", name, pps,
					   (long long) lo, (long long) hi, (long long) x,
					   r_lo, r_hi);
			ok = 0;
		}
	}
	return ok;
}

static int
check_fence_keys_one(const char *name, const int64_t *keys, uint32_t n,
					 uint32_t pps)
{
	uint32_t	nseg = rmi_record_count(n, pps);
	RmiRecord *records = malloc(nseg * sizeof(RmiRecord));
	RmiRoot		root;
	int			reported = 0;
	int			ok = 1;
	uint32_t	j;

	rmi_train(keys, n, pps, &root, records);
	for (j = 0; j < nseg; j++)
	{
		uint32_t	s = records[j].start;
		uint32_t	c = records[j].count;
		int64_t		from = j == 0 ? INT64_MIN : keys[s];
		int64_t		to = j + 1 < nseg ? keys[s + c] : INT64_MAX;
		RmiRoot		own_root;
		RmiRecord	own;
		uint32_t	i;

		/* this record's list fitted on its own, positions from 0 */
		rmi_train(keys + s, c, c, &own_root, &own);

		for (i = s; i <= s + c && ok; i++)
		{
			int64_t		k = i < s + c ? keys[i] : to;
			int64_t		probes[5];
			int			q;

			probes[0] = sat_add(k, -1);
			probes[1] = k;
			probes[2] = sat_add(k, 1);
			probes[3] = from;
			probes[4] = to;
			for (q = 0; q < 5; q++)
			{
				int64_t		x = probes[q];

				if (x < from || x > to)
					continue;
				if (!fence_window_ok(name, pps, keys, &root, records, nseg,
									 j, &records[j], 0, x, &reported) ||
					!fence_window_ok(name, pps, keys, NULL, records, nseg,
									 j, &own, s, x, &reported))
					ok = 0;
			}
		}
	}
	free(records);
	return ok;
}

static void
check_fence_keys(int *passed, int *failed)
{
	static const uint32_t run_lengths[] = {1, 2, 3, 5, 8, 13, 64, 300};
	static const uint32_t fence_pps[] = {1, 2, 3, 4, 7, 16, 64, 445};
	uint32_t	n = 3000;
	int64_t    *keys = malloc(n * sizeof(int64_t));
	int			set;
	int			p;

	rng_seed(909);
	for (set = 0; set < 12; set++)
	{
		char		name[48];
		int			ok = 1;
		uint32_t	i;

		if (set < 8)
		{
			/* every key repeated run_lengths[set] times, keys 10 apart */
			uint32_t	len = run_lengths[set];

			for (i = 0; i < n; i++)
				keys[i] = (int64_t) (i / len) * 10;
			snprintf(name, sizeof(name), "fence-runs-%u", len);
		}
		else if (set == 8)
		{
			/* random runs of 1..40 copies, random gaps of 1..1000 */
			int64_t		k = -5000;
			uint32_t	left = 0;

			for (i = 0; i < n; i++)
			{
				if (left == 0)
				{
					k += 1 + (int64_t) rng_below(1000);
					left = 1 + (uint32_t) rng_below(40);
				}
				keys[i] = k;
				left--;
			}
			snprintf(name, sizeof(name), "fence-random-runs");
		}
		else if (set == 9)
		{
			for (i = 0; i < n; i++)
				keys[i] = 7;
			snprintf(name, sizeof(name), "fence-all-equal");
		}
		else if (set == 10)
		{
			/* runs at both ends of the key range */
			for (i = 0; i < n; i++)
				keys[i] = i < n / 3 ? INT64_MIN : i < 2 * n / 3 ?
					(int64_t) (i / 17) : INT64_MAX;
			snprintf(name, sizeof(name), "fence-runs-at-limits");
		}
		else
		{
			/* runs of 2 with gaps of 1: every x + 1 is a fence too */
			for (i = 0; i < n; i++)
				keys[i] = (int64_t) (i / 2);
			snprintf(name, sizeof(name), "fence-runs-dense");
		}

		for (p = 0; p < (int) (sizeof(fence_pps) / sizeof(fence_pps[0])); p++)
			if (!check_fence_keys_one(name, keys, n, fence_pps[p]))
				ok = 0;
		printf("%-5s %-22s n=%-7u keys equal to fences: windows hold every start\n",
			   ok ? "ok" : "FAIL", name, n);
		if (ok)
			(*passed)++;
		else
			(*failed)++;
	}
	free(keys);
}

int
main(int argc, char **argv)
{
	int			passed = 0;
	int			failed = 0;
	int			s;
	int			b;
	/* optional argument: skip key sets larger than this (quick runs) */
	unsigned long max_n = (argc > 1) ? strtoul(argv[1], NULL, 10) : 0;
	/* per root mask: combinations, chosen cubic, sums of windows */
	int			ncombos = 0;
	int			ncombos_multi = 0;
	int			nchosen_cubic = 0;
	double		sum_root_width[NROOTS] = {0};
	double		sum_route_width[NROOTS] = {0};
	double		sum_log_width[NROOTS] = {0};

	build_sets();
	rng_seed(12345);

	printf("window width (positions) per record size: mean/max\n");
	printf("root: kind chosen per record size, stored root windows"
		   " linear/cubic/spline (records)\n");
	for (s = 0; s < nsets; s++)
	{
		const KeySet *ks = &sets[s];
		char		line[512];
		char		rline[512];
		size_t		len = 0;
		size_t		rlen = 0;
		int			set_failed = 0;
		int			p;

		if (max_n > 0 && ks->n > max_n)
			continue;
		for (p = 0; p < NPPS; p++)
		{
			Stats		st;
			char		label[16];
			int			ok = run_combination(ks, pps_list[p], &st);
			uint32_t	nseg = rmi_record_count(ks->n,
												 pps_list[p] ? pps_list[p] : ks->n + 1);

			/* the cubic must win where it should (enough records to tell) */
			if (ok && is_cubic_set(ks->name) && nseg >= 64 &&
				!(st.root_type[1] == RMI_ROOT_CUBIC &&
				  st.root_width[1] < st.root_width[0] &&
				  st.root_type[ROOT_ALL] != RMI_ROOT_LINEAR))
			{
				printf("  FAIL %s pps=%u: cubic root not narrower than"
					   " linear (%u vs %u), or linear chosen\n", ks->name,
					   pps_list[p], st.root_width[1], st.root_width[0]);
				ok = 0;
			}
			/* the spline must win on skewed sets, where lines bend most */
			if (ok && is_spline_set(ks->name) && nseg >= 64 &&
				!(st.root_width[2] < st.root_width[0] &&
				  st.root_width[2] < st.root_width[1] &&
				  st.root_type[ROOT_ALL] == RMI_ROOT_SPLINE))
			{
				printf("  FAIL %s pps=%u: spline root not narrower (%u vs"
					   " %u/%u) or not chosen\n", ks->name, pps_list[p],
					   st.root_width[2], st.root_width[0], st.root_width[1]);
				ok = 0;
			}
			if (ok)
				passed++;
			else
			{
				failed++;
				set_failed++;
			}
			if (pps_list[p] == 0)
				snprintf(label, sizeof(label), "n+1");
			else if (pps_list[p] == UINT32_MAX)
				snprintf(label, sizeof(label), "max");
			else
				snprintf(label, sizeof(label), "%u", pps_list[p]);
			len += snprintf(line + len, sizeof(line) - len, " %s:%.2f/%u",
							label, st.width_sum / (double) st.probes,
							st.width_max);

			ncombos++;
			if (nseg >= 2)
			{
				ncombos_multi++;
				rlen += snprintf(rline + rlen, sizeof(rline) - rlen,
								 " %s:%s %u/%u/%u", label,
								 rmi_root_kind_name(st.root_type[ROOT_ALL]),
								 st.root_width[0], st.root_width[1],
								 st.root_width[2]);
				if (st.root_type[ROOT_ALL] == RMI_ROOT_CUBIC)
					nchosen_cubic++;
				for (b = 0; b < NROOTS; b++)
				{
					sum_root_width[b] += st.root_width[b];
					sum_log_width[b] += log((double) st.root_width[b]);
					sum_route_width[b] += st.route_width_sum[b] /
						(double) st.probes;
				}
			}
		}
		printf("%-5s %-22s n=%-7u%s\n", set_failed ? "FAIL" : "ok",
			   ks->name, ks->n, line);
		if (rlen > 0)
			printf("      %-22s root   %s\n", "", rline);
	}

	printf("root windows over %d of %d combinations (those with >= 2 records;"
		   " cubic chosen in %d):\n", ncombos_multi, ncombos, nchosen_cubic);
	for (b = 0; b < NROOTS; b++)
		printf("  %-6s stored mean %10.2f  geomean %7.2f  routed mean %9.2f\n",
			   root_mask_names[b],
			   sum_root_width[b] / (ncombos_multi ? ncombos_multi : 1),
			   exp(sum_log_width[b] / (ncombos_multi ? ncombos_multi : 1)),
			   sum_route_width[b] / (ncombos_multi ? ncombos_multi : 1));

	if (check_cubic_monotone())
		passed++;
	else
		failed++;
	if (check_spline_monotone())
		passed++;
	else
		failed++;
	check_miss_rate(&passed, &failed);
	check_chooser(&passed, &failed);
	check_outliers(&passed, &failed);
	if (check_search_basics())
		passed++;
	else
		failed++;
	check_fence_keys(&passed, &failed);

	printf("simulated splits: %llu lists grown (mean %.1fx, longest %u),"
		   " %llu record splits, %llu lists thinned\n"
		   "  %llu probes, %llu searches: answer left of the stale window"
		   " %llu, right of it %llu\n",
		   (unsigned long long) sim_stats.lists_grown,
		   sim_stats.growth_sum / (sim_stats.lists_grown ? sim_stats.lists_grown : 1),
		   sim_stats.grown_max, (unsigned long long) sim_stats.record_splits,
		   (unsigned long long) sim_stats.thinned,
		   (unsigned long long) sim_stats.probes,
		   (unsigned long long) sim_stats.searches,
		   (unsigned long long) sim_stats.outside_left,
		   (unsigned long long) sim_stats.outside_right);

	printf("%d passed, %d failed\n", passed, failed);

	for (s = 0; s < nsets; s++)
		free(sets[s].keys);
	free(sets);
	return failed == 0 ? 0 : 1;
}
