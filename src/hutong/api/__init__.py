"""The HTTP API: thin routes that parse, call a service, serialize."""
