"""Deterministic, realistic-looking people and companies for the demo (no Faker at runtime)."""

import random
import unicodedata
from dataclasses import dataclass

from contacts.models import EmailSubscription
from demo.sources import Source


@dataclass(frozen=True)
class Locale:
    weight: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    company_suffix: str
    tld: str
    personal_domains: tuple[str, ...]
    phone: str  # "#" is a random digit


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


LOCALES = (
    Locale(
        0.35,
        _names(
            "Daan, Sem, Lucas, Bram, Thijs, Jeroen, Maarten, Ruben, Pieter, Joost, Emma, Julia, Sophie, Tess, "
            "Anna, Fleur, Sanne, Lotte, Eva, Noor, Femke, Ingrid"
        ),
        _names(
            "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, de Boer, "
            "Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, Brouwer"
        ),
        " B.V.",
        "nl",
        ("gmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com"),
        "+31 6 #### ####",
    ),
    Locale(
        0.25,
        _names(
            "Erik, Lars, Karl, Johan, Anders, Oskar, Nils, Elias, Björn, Astrid, Karin, Elsa, Maja, Linnea, "
            "Sofia, Ebba, Freja, Saga, Åsa, Ingrid"
        ),
        _names(
            "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, "
            "Gustafsson, Lindqvist, Lindberg, Sjöberg, Holm, Ekström, Wallin, Lund, Åberg, Forsberg"
        ),
        " AB",
        "se",
        ("gmail.com", "telia.com", "hotmail.se", "outlook.com"),
        "+46 70 ### ## ##",
    ),
    Locale(
        0.2,
        _names(
            "Jakub, Kacper, Szymon, Michał, Piotr, Tomasz, Łukasz, Paweł, Krzysztof, Wojciech, Anna, "
            "Katarzyna, Małgorzata, Agnieszka, Zofia, Julia, Magdalena, Joanna, Ewa, Marta"
        ),
        _names(
            "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, Mazur, "
            "Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Kwiatkowski, Krawczyk, Grabowski"
        ),
        " Sp. z o.o.",
        "pl",
        ("gmail.com", "wp.pl", "onet.pl", "o2.pl"),
        "+48 5## ### ###",
    ),
    Locale(
        0.2,
        _names(
            "James, Oliver, Jack, Harry, George, Noah, Michael, David, Daniel, Emily, Olivia, Amelia, Isla, "
            "Ava, Grace, Sarah, Laura, Rachel, Hannah, Chloe"
        ),
        _names(
            "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, Wright, Thompson, "
            "Evans, Walker, White, Roberts, Green, Hall, Wood, Clarke, Hughes"
        ),
        " Ltd",
        "co.uk",
        ("gmail.com", "outlook.com", "yahoo.co.uk", "icloud.com"),
        "+44 7### ######",
    ),
)
COMPANY_STEMS = _names(
    "Nord, Blue, Bright, Green, Silver, Oak, Pine, Harbor, Summit, Polar, Amber, Iron, Clear, Swift, Atlas, Delta, "
    "Nova, Vista, Falcon, Maple, Cedar, River, Stone, Cloud, Orbit, Pixel, Lumen, Vector, Zenith, Tulip"
)
COMPANY_KINDS = _names(
    "Logistics, Analytics, Software, Foods, Energy, Consulting, Health, Robotics, Retail, Media, Labs, Systems, "
    "Bikes, Coffee, Architects, Finance, Marine, Textiles, Print, Security"
)
_TO_ASCII = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "ß": "ss"})


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_TO_ASCII))
    return "".join(ch for ch in folded.lower() if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class Company:
    name: str
    domain: str
    locale: Locale


class People:
    """Deterministic, realistic-looking names, companies, emails and phones (no Faker at runtime)."""

    def __init__(self, rng: random.Random, *, total: int):
        self.rng = rng
        self.emails: set[str] = set()
        self.companies = self._companies(max(10, min(600, total // 8)))

    def _companies(self, count: int) -> list[Company]:
        companies: dict[str, Company] = {}
        while len(companies) < count:
            locale = self.rng.choices(LOCALES, weights=[locale.weight for locale in LOCALES])[0]
            stem, kind = self.rng.choice(COMPANY_STEMS), self.rng.choice(COMPANY_KINDS)
            domain = f"{_ascii_slug(stem + kind)}.{locale.tld}"
            companies.setdefault(domain, Company(f"{stem} {kind}{locale.company_suffix}", domain, locale))
        return list(companies.values())

    def contact(self, source: Source) -> dict:
        """One contact's properties: ~8% unsubscribed and ~3% hard-bounced (R17, R26, R29)."""
        rng = self.rng
        company = rng.choice(self.companies)
        first, last = self._name(company.locale)
        row = {"first_name": first, "last_name": last, "company": company.name}
        row["lifecycle_stage"] = rng.choice(source.stages)
        if rng.random() >= source.no_email:
            row["email"] = self._email(first, last, company)
            row["email_hard_bounced"] = rng.random() < 0.03
        roll = rng.random()
        row["email_subscription"] = (
            EmailSubscription.UNSUBSCRIBED
            if roll < 0.08
            else EmailSubscription.SUBSCRIBED
            if roll < 0.55
            else EmailSubscription.NOT_SPECIFIED
        )
        if rng.random() < 0.4:
            row["phone"] = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in company.locale.phone)
        return row

    def _name(self, locale: Locale) -> tuple[str, str]:
        first, last = self.rng.choice(locale.first_names), self.rng.choice(locale.last_names)
        if locale.tld == "pl" and first.endswith("a") and last.endswith("ki"):
            last = last[:-1] + "a"  # Polish surnames agree in gender: Kowalski, Kowalska
        return first, last

    def _email(self, first: str, last: str, company: Company) -> str:
        f, la = _ascii_slug(first), _ascii_slug(last)
        if self.rng.random() < 0.25:
            domain = self.rng.choice(company.locale.personal_domains)
            local = self.rng.choice((f"{f}.{la}", f"{f}{la}{self.rng.randrange(60, 100)}", f"{f[0]}{la}"))
        else:
            domain, local = company.domain, self.rng.choice((f"{f}.{la}", f"{f[0]}{la}", f, f"{f}.{la[0]}"))
        email, n = f"{local}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{local}{n}@{domain}"
        self.emails.add(email)
        return email
