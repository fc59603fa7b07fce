/*-------------------------------------------------------------------------
 *
 * rmi_internal.h
 *	  What rmi.c (lookup) shares with rmi_train.c (training) and nothing
 *	  else uses: the prediction's building blocks.  Training computes its
 *	  error bounds with these very functions, compiled once, so that the
 *	  bounds hold bit for bit for what lookups compute.
 *
 *-------------------------------------------------------------------------
 */
#ifndef RMI_INTERNAL_H
#define RMI_INTERNAL_H

#include <stdint.h>

#include "rmi.h"

/*
 * Stored error bounds saturate at INT32_MAX, which then means "unbounded"
 * (rmi_err_store; rmi.c reads them back).
 */
extern int32_t rmi_err_store(int64_t err);

/* x - base as a double, 0 at or below base. */
extern double rmi_key_diff(int64_t base, int64_t x);

/* The shapes: monotone non-decreasing in x (rmi.c says why). */
extern double rmi_linear_shape(int64_t base, double slope, int64_t x);
extern double rmi_cubic_shape(int64_t base, const double *coef, int64_t x);
extern double rmi_spline_shape(const RmiRoot *root, int64_t x);

/* floor(intercept + shape), clamped to [0, last]. */
extern uint32_t rmi_floor_clamp(double intercept, double shape, uint32_t last);

/* Largest j in [lo, hi] with records[j].first_key < x. */
extern uint32_t rmi_search_records(const RmiRecord *records, uint32_t lo,
									uint32_t hi, int64_t x);

#endif							/* RMI_INTERNAL_H */
