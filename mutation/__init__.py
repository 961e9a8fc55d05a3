"""Named mutants: deliberate bugs the tests must catch, run by ``make mutate`` (``python -m
mutation``) on a copy of the tree before mutmut's own, anonymous mutants."""
