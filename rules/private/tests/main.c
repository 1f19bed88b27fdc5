/* Never built: its firmware fails at analysis (see BUILD.bazel). */
int main(void) { return 0; }
