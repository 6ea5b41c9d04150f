void test_vsock(void) {}
