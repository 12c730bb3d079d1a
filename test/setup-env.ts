// Quiet logs in tests unless asked for; a test that wants a log level sets it in its overrides.
process.env.TEST_LOG_LEVEL ??= 'silent';
