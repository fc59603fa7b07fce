# learned_am: a learned-index access method for PostgreSQL (PGXS build)

MODULE_big = learned_am
OBJS = \
	learned_am.o \
	learned_build.o \
	learned_cache.o \
	learned_check.o \
	learned_dead.o \
	learned_format.o \
	learned_funcs.o \
	learned_insert.o \
	learned_page.o \
	learned_parallel_build.o \
	learned_parallel_scan.o \
	learned_retrain.o \
	learned_scan.o \
	learned_sort.o \
	learned_unique.o \
	learned_vacuum.o \
	learned_wal.o \
	learned_xlog.o \
	rmi.o \
	rmi_train.o
PGFILEDESC = "learned_am - learned index access method"

EXTENSION = learned_am
# A new installation runs learned_am--1.0.sql, then each update script.
DATA = learned_am--1.0.sql learned_am--1.0--1.1.sql learned_am--1.1--1.2.sql

# Every sql/NAME.sql is a regression test (named by the feature it tests;
# each is independent of the others), run in name order in one database
# where pg_regress has created the extension.
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=learned_am
# Every specs/NAME.spec is an isolation test (pg_isolation_regress); its
# expected output is expected/NAME.out, so names differ from sql/'s.
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=learned_am
TAP_TESTS = 1

EXTRA_CLEAN = test/rmi_test test/split_test test/leaf_test

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on the shared headers (page layouts live there).
$(OBJS): learned.h rmi.h rmi_internal.h

# The model's own unit test: plain C, no server needed.
test/rmi_test: test/rmi_test.c rmi.c rmi_train.c rmi.h rmi_internal.h
	$(CC) -O2 -g -Wall -Wextra -Werror -std=gnu99 -I. -o $@ test/rmi_test.c rmi.c rmi_train.c -lm

# The split planner's unit test: learned_format.c alone, against the
# server's headers (it uses no server function).
test/split_test: test/split_test.c learned_format.c learned.h
	$(CC) -O2 -g -Wall -Werror -std=gnu99 -I. -I$(includedir_server) -o $@ test/split_test.c learned_format.c

# The leaf entry codec's unit test: learned.h's inline functions alone.
test/leaf_test: test/leaf_test.c learned.h
	$(CC) -O2 -g -Wall -Werror -std=gnu99 -I. -I$(includedir_server) -o $@ test/leaf_test.c

.PHONY: check-model
check-model: test/rmi_test test/split_test test/leaf_test
	./test/rmi_test
	./test/split_test
	./test/leaf_test

installcheck: check-model
