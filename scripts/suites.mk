# scripts/suites.mk: the suites of `make installcheck`, one target each, so
# that test.sh runs every suite and counts each even when an earlier one
# fails (installcheck stops at the first failing suite).  Read after the
# Makefile, which includes PGXS:
#
#   make -f Makefile -f scripts/suites.mk installcheck-regress
#   make -f Makefile -f scripts/suites.mk installcheck-isolation
#   make -f Makefile -f scripts/suites.mk installcheck-tap [PROVE_TESTS=t/...]
#
# The recipes are PGXS's own (pgxs.mk, installcheck); check-model is in the
# Makefile.

.PHONY: installcheck-regress installcheck-isolation installcheck-tap

installcheck-regress: $(REGRESS_PREP)
ifdef REGRESS
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
endif

installcheck-isolation:
ifdef ISOLATION
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)
endif

installcheck-tap:
	$(prove_installcheck)
