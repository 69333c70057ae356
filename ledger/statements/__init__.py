"""Bank statements: parsing of camt.05x, MT940 and CSV files into transfers (see `parsing`)."""
