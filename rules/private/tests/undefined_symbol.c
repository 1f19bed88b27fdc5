/*
 * Calls a function nothing defines. The firmware's link runs with --noinhibit-exec (so that a
 * firmware over its budget gets the size table), under which ld exits with 0 after an undefined
 * reference too: the check of the link must still fail (see :undefined_symbol_fails_link_test).
 */
int mtvm_test_not_defined_anywhere(int x);

int main(void) { return mtvm_test_not_defined_anywhere(1); }
