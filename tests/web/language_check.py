"""What a reader sees on a page, and the words that say it is in the wrong language.

`visible_words(html)` reads the text a person sees or hears: element text (not scripts or styles,
nor an element marked `translate="no"`, HTML's way of saying "type this as it is", such as the
column names a file must have) and the attributes shown or read out (placeholder, title,
aria-label, alt, an option group's label, a button input's value). Names from the test data
(usernames, people, products) are taken out first, so only the interface's own words are judged.
"""

import re
from html.parser import HTMLParser

SPOKEN_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "label"}
BUTTON_INPUTS = {"submit", "button", "reset"}
UNREAD = {"script", "style", "template"}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common English words of an interface that are not Indonesian words too. Left out on purpose:
# words Bahasa Indonesia has as well (status, total, data, filter, menu, audit, teller, token,
# portal, program, bank, modal, final, normal, manual, log, login, limit, email, no.), which the
# Indonesian pages use.
ENGLISH = _words(
    """
    the and of for with from to by or is are not be this that these your you all any
    in on at as into after before until when which who what yet only
    save cancel submit search find show edit change add new delete remove back next previous
    page pages date dates amount amounts balance balances loan loans member members account
    accounts deposit deposits withdraw withdrawal savings settings staff password passwords
    receipt receipts cash manager officer accountant supervisor approved approve rejected
    reject written off reversed reverses schedule rescheduling reconditioning restructuring
    interest principal fee fees penalty payment payments repayment repayments paid due
    overdue instalment instalments month months year years day days week weekly monthly
    daily name number phone address user users role roles open opened closed close
    closing active inactive yes none nothing download print upload file files import export
    product products application applications submitted analysed disbursed disbursement
    capacity recommended approval rejection report entry entries journal ledger books chart
    asset assets liability liabilities equity income expense expenses dashboard profile
    sign logout out home help details description note reason kind type level
    term rate rates group groups period periods time changed created added issued
    revoked entered proposed started through repaid recovery
    """
)

# Indonesian interface words that appear on no English page: not in the chart of accounts, the
# product names or the fixtures' names, which are data and stay Indonesian in every language.
INDONESIAN = _words(
    """
    Dasbor Pengaturan Tanggal Ubah Simpan Cari Halaman Berikutnya Sebelumnya Kembali Rekening
    Jumlah Pengajuan Petugas bulan tahun Menurun Saldo Penarikan Kwitansi Keterangan
    Nama Alamat Peran Tampilkan Unduh Cetak Unggah sandi Riwayat Jadwal disetujui Disetujui
    Ditolak Tunai tunai Manajer Diubah diubah Dicairkan dicairkan
    """
)

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._unread: list[str] = []  # the open elements whose text nobody reads

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in UNREAD or attributes.get("translate") == "no":
            self._unread.append(tag)
        if self._unread:
            return
        for name in SPOKEN_ATTRIBUTES & attributes.keys():
            self.parts.append(attributes[name] or "")
        if tag == "input" and (attributes.get("type") or "").lower() in BUTTON_INPUTS:
            self.parts.append(attributes.get("value") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._unread:
            self.handle_starttag(tag, [a for a in attrs if a[0] != "translate"])

    def handle_endtag(self, tag: str) -> None:
        if self._unread and self._unread[-1] == tag:
            self._unread.pop()

    def handle_data(self, data: str) -> None:
        if not self._unread:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(part.strip() for part in parser.parts if part.strip())


def visible_words(html: str, names: tuple[str, ...] = ()) -> list[str]:
    text = visible_text(html)
    for name in sorted(names, key=len, reverse=True):  # "staf-loan_officer" before "staf"
        text = text.replace(name, " ")
    return WORD.findall(text)


def english_words(html: str, names: tuple[str, ...] = ()) -> list[str]:
    return sorted({w for w in visible_words(html, names) if w.lower() in ENGLISH})


def indonesian_words(html: str, names: tuple[str, ...] = ()) -> list[str]:
    return sorted({w for w in visible_words(html, names) if w in INDONESIAN})
