"""The administrator's settings pages: the cooperative, staff, savings products, chart accounts."""
