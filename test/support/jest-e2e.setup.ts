// End-to-end suites start real servers and databases; the default 5 s is too tight on a loaded 2-core CI box.
jest.setTimeout(60_000);
