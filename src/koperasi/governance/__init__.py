"""The members' meeting (RAT): notice, agenda, check-in and quorum, secret voting, decisions
that change settings, and the signed minutes (berita acara)."""
