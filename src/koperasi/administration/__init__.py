"""Setting up a cooperative and changing its AD/ART settings, and the settings pages.

A new cooperative gets its chart of accounts and starting products; a lower rate cap is
refused while a product pays or charges more. These span tenancy, ledger, savings and loans,
so they live here, above them all.
"""
