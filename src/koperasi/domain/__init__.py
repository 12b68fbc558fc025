"""Pure domain rules for Koperasi Digital: money, NIK, phone, periods. No Django here."""
