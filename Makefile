# learned_am: a learned-index access method for PostgreSQL (PGXS build)

MODULE_big = learned_am
OBJS = \
	learned_am.o \
	learned_build.o \
	learned_cache.o \
	learned_funcs.o \
	learned_insert.o \
	learned_page.o \
	learned_retrain.o \
	learned_scan.o \
	learned_sort.o \
	learned_unique.o \
	learned_vacuum.o \
	learned_wal.o \
	rmi.o
PGFILEDESC = "learned_am - learned index access method"

EXTENSION = learned_am
DATA = learned_am--1.0.sql

# Every sql/NAME.sql is a regression test, run in name order.
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
# Every specs/NAME.spec is an isolation test (pg_isolation_regress); its
# expected output is expected/NAME.out, so names differ from sql/'s.
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=learned_am
TAP_TESTS = 1

EXTRA_CLEAN = test/rmi_test

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on the shared headers (page layouts live there).
$(OBJS): learned.h rmi.h

# The model's own unit test: plain C, no server needed.
test/rmi_test: test/rmi_test.c rmi.c rmi.h
	$(CC) -O2 -g -Wall -Wextra -Werror -std=gnu99 -I. -o $@ test/rmi_test.c rmi.c -lm

.PHONY: check-model
check-model: test/rmi_test
	./test/rmi_test

installcheck: check-model
