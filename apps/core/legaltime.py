"""Legal time: periods counted as the law counts them, and the one clock every door reads.

Nothing here touches the database or the request: callers pass the zone, the holiday country
and the extra non-working days, so the admin, the portal, the e-mails, the reminders and the
PDFs get the same answer.

- `month_period` / `period_end`: a period of months under Regulation (EEC, Euratom) No 1182/71,
  which the EDPB applies to Art. 12(3) GDPR. The day of receipt does not count (Art. 3(1)); the
  period ends at the end of the day with the same date in the last month, or of that month's
  last day when it has no such date (Art. 3(2)(c)); a last day that is a Saturday, a Sunday or
  a public holiday moves to the end of the next working day (Art. 3(4)). Days are the days
  where the deadline runs: the receipt's date and the end of the last day are read in `zone`.
- `clock`: how a deadline stands at a moment: days left in the deadline's zone (calendar days,
  so every reader sees the same number), overdue, due soon, hours left for the clocks counted
  in hours (breaches), and which reminder threshold has been reached.
- Zones: a country's main time zone, validation of IANA names, and an instant written with its
  zone named ("14 Mar 2026, 23:59 CET").
"""

import calendar
import zoneinfo
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

import holidays
from django.core.exceptions import ValidationError
from django.utils import timezone

RULE_NAME = "Regulation (EEC, Euratom) No 1182/71"
# The change reason of a deadline that moved because it was counted anew under the rule.
DEADLINE_RECOMPUTED_REASON = "Deadline recomputed: Regulation 1182/71 month counting"
# "Due soon" on every list, filter and e-mail: this many calendar days left, or fewer.
DUE_SOON_DAYS = 7
SATURDAY, SUNDAY = 5, 6
NonWorkingDays = Collection[date] | Mapping[date, str]

# A sensible zone for each country (ISO 3166 code=zone): the country's only zone in the tz
# database or, for a country that spans several, the zone of its capital or of most people.
_COUNTRY_ZONES = """
    AD=Europe/Andorra AE=Asia/Dubai AF=Asia/Kabul AG=America/Antigua AI=America/Anguilla
    AL=Europe/Tirane AM=Asia/Yerevan AO=Africa/Luanda AQ=Antarctica/McMurdo
    AR=America/Argentina/Buenos_Aires AS=Pacific/Pago_Pago AT=Europe/Vienna AU=Australia/Sydney
    AW=America/Aruba AX=Europe/Mariehamn AZ=Asia/Baku BA=Europe/Sarajevo BB=America/Barbados
    BD=Asia/Dhaka BE=Europe/Brussels BF=Africa/Ouagadougou BG=Europe/Sofia BH=Asia/Bahrain
    BI=Africa/Bujumbura BJ=Africa/Porto-Novo BL=America/St_Barthelemy BM=Atlantic/Bermuda
    BN=Asia/Brunei BO=America/La_Paz BQ=America/Kralendijk BR=America/Sao_Paulo
    BS=America/Nassau BT=Asia/Thimphu BW=Africa/Gaborone BY=Europe/Minsk BZ=America/Belize
    CA=America/Toronto CC=Indian/Cocos CD=Africa/Kinshasa CF=Africa/Bangui
    CG=Africa/Brazzaville CH=Europe/Zurich CI=Africa/Abidjan CK=Pacific/Rarotonga
    CL=America/Santiago CM=Africa/Douala CN=Asia/Shanghai CO=America/Bogota
    CR=America/Costa_Rica CU=America/Havana CV=Atlantic/Cape_Verde CW=America/Curacao
    CX=Indian/Christmas CY=Asia/Nicosia CZ=Europe/Prague DE=Europe/Berlin DJ=Africa/Djibouti
    DK=Europe/Copenhagen DM=America/Dominica DO=America/Santo_Domingo DZ=Africa/Algiers
    EC=America/Guayaquil EE=Europe/Tallinn EG=Africa/Cairo EH=Africa/El_Aaiun ER=Africa/Asmara
    ES=Europe/Madrid ET=Africa/Addis_Ababa FI=Europe/Helsinki FJ=Pacific/Fiji
    FK=Atlantic/Stanley FM=Pacific/Chuuk FO=Atlantic/Faroe FR=Europe/Paris GA=Africa/Libreville
    GB=Europe/London GD=America/Grenada GE=Asia/Tbilisi GF=America/Cayenne GG=Europe/Guernsey
    GH=Africa/Accra GI=Europe/Gibraltar GL=America/Nuuk GM=Africa/Banjul GN=Africa/Conakry
    GP=America/Guadeloupe GQ=Africa/Malabo GR=Europe/Athens GS=Atlantic/South_Georgia
    GT=America/Guatemala GU=Pacific/Guam GW=Africa/Bissau GY=America/Guyana HK=Asia/Hong_Kong
    HN=America/Tegucigalpa HR=Europe/Zagreb HT=America/Port-au-Prince HU=Europe/Budapest
    ID=Asia/Jakarta IE=Europe/Dublin IL=Asia/Jerusalem IM=Europe/Isle_of_Man IN=Asia/Kolkata
    IO=Indian/Chagos IQ=Asia/Baghdad IR=Asia/Tehran IS=Atlantic/Reykjavik IT=Europe/Rome
    JE=Europe/Jersey JM=America/Jamaica JO=Asia/Amman JP=Asia/Tokyo KE=Africa/Nairobi
    KG=Asia/Bishkek KH=Asia/Phnom_Penh KI=Pacific/Tarawa KM=Indian/Comoro KN=America/St_Kitts
    KP=Asia/Pyongyang KR=Asia/Seoul KW=Asia/Kuwait KY=America/Cayman KZ=Asia/Almaty
    LA=Asia/Vientiane LB=Asia/Beirut LC=America/St_Lucia LI=Europe/Vaduz LK=Asia/Colombo
    LR=Africa/Monrovia LS=Africa/Maseru LT=Europe/Vilnius LU=Europe/Luxembourg LV=Europe/Riga
    LY=Africa/Tripoli MA=Africa/Casablanca MC=Europe/Monaco MD=Europe/Chisinau
    ME=Europe/Podgorica MF=America/Marigot MG=Indian/Antananarivo MH=Pacific/Majuro
    MK=Europe/Skopje ML=Africa/Bamako MM=Asia/Yangon MN=Asia/Ulaanbaatar MO=Asia/Macau
    MP=Pacific/Saipan MQ=America/Martinique MR=Africa/Nouakchott MS=America/Montserrat
    MT=Europe/Malta MU=Indian/Mauritius MV=Indian/Maldives MW=Africa/Blantyre
    MX=America/Mexico_City MY=Asia/Kuala_Lumpur MZ=Africa/Maputo NA=Africa/Windhoek
    NC=Pacific/Noumea NE=Africa/Niamey NF=Pacific/Norfolk NG=Africa/Lagos NI=America/Managua
    NL=Europe/Amsterdam NO=Europe/Oslo NP=Asia/Kathmandu NR=Pacific/Nauru NU=Pacific/Niue
    NZ=Pacific/Auckland OM=Asia/Muscat PA=America/Panama PE=America/Lima PF=Pacific/Tahiti
    PG=Pacific/Port_Moresby PH=Asia/Manila PK=Asia/Karachi PL=Europe/Warsaw PM=America/Miquelon
    PN=Pacific/Pitcairn PR=America/Puerto_Rico PS=Asia/Gaza PT=Europe/Lisbon PW=Pacific/Palau
    PY=America/Asuncion QA=Asia/Qatar RE=Indian/Reunion RO=Europe/Bucharest RS=Europe/Belgrade
    RU=Europe/Moscow RW=Africa/Kigali SA=Asia/Riyadh SB=Pacific/Guadalcanal SC=Indian/Mahe
    SD=Africa/Khartoum SE=Europe/Stockholm SG=Asia/Singapore SH=Atlantic/St_Helena
    SI=Europe/Ljubljana SJ=Arctic/Longyearbyen SK=Europe/Bratislava SL=Africa/Freetown
    SM=Europe/San_Marino SN=Africa/Dakar SO=Africa/Mogadishu SR=America/Paramaribo
    SS=Africa/Juba ST=Africa/Sao_Tome SV=America/El_Salvador SX=America/Lower_Princes
    SY=Asia/Damascus SZ=Africa/Mbabane TC=America/Grand_Turk TD=Africa/Ndjamena
    TF=Indian/Kerguelen TG=Africa/Lome TH=Asia/Bangkok TJ=Asia/Dushanbe TK=Pacific/Fakaofo
    TL=Asia/Dili TM=Asia/Ashgabat TN=Africa/Tunis TO=Pacific/Tongatapu TR=Europe/Istanbul
    TT=America/Port_of_Spain TV=Pacific/Funafuti TW=Asia/Taipei TZ=Africa/Dar_es_Salaam
    UA=Europe/Kyiv UG=Africa/Kampala UM=Pacific/Midway US=America/New_York
    UY=America/Montevideo UZ=Asia/Tashkent VA=Europe/Vatican VC=America/St_Vincent
    VE=America/Caracas VG=America/Tortola VI=America/St_Thomas VN=Asia/Ho_Chi_Minh
    VU=Pacific/Efate WF=Pacific/Wallis WS=Pacific/Apia YE=Asia/Aden YT=Indian/Mayotte
    ZA=Africa/Johannesburg ZM=Africa/Lusaka ZW=Africa/Harare
"""
COUNTRY_ZONES: dict[str, str] = dict(pair.split("=", 1) for pair in _COUNTRY_ZONES.split())


def country_time_zone(country: str) -> str:
    """The main time zone of a country (ISO 3166 code); UTC for a code we know none for."""
    return COUNTRY_ZONES.get(str(country or "").upper(), "UTC")


@lru_cache(maxsize=1)
def _available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_is_valid(name: str) -> bool:
    return bool(name) and name in _available_zones()


def validate_time_zone(name: str) -> None:
    """A model and form validator: an IANA time zone name, such as Europe/Berlin."""
    if not time_zone_is_valid(name):
        raise ValidationError(
            "“%(name)s” is not a time zone: use an IANA name such as Europe/Berlin.",
            params={"name": name},
            code="invalid_time_zone",
        )


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    """UTC and the Region/City names, for a select; legacy aliases (US/Eastern, EST) left out."""
    regions = (
        "Africa/",
        "America/",
        "Antarctica/",
        "Arctic/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    )
    names = sorted(z for z in _available_zones() if z.startswith(regions))
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def zone_named(name: str, default: str = "UTC") -> zoneinfo.ZoneInfo:
    """The zone called `name`, or `default` when the name is empty or unknown."""
    return zoneinfo.ZoneInfo(name if time_zone_is_valid(name) else default)


# --- public holidays and working days ---------------------------------------------------------


def holiday_subdivisions(country: str) -> list[str]:
    """The regions (states, Länder, nations) the holidays package knows for a country."""
    return list(holidays.list_supported_countries().get(str(country or "").upper(), []))


def holidays_known_for(country: str) -> bool:
    return str(country or "").upper() in holidays.list_supported_countries()


def validate_holiday_subdivision(country: str, subdivision: str) -> None:
    if subdivision and subdivision not in holiday_subdivisions(country):
        known = ", ".join(holiday_subdivisions(country)) or "none"
        raise ValidationError(
            "“%(sub)s” is not a region of %(country)s for public holidays (known: %(known)s).",
            params={"sub": subdivision, "country": country, "known": known},
            code="invalid_holiday_subdivision",
        )


@lru_cache(maxsize=1024)
def public_holidays(country: str, subdivision: str, year: int) -> Mapping[date, str]:
    """{day: name} of a country's (and region's) public holidays in a year, from the holidays
    package; none for a country it does not know. Library data, so kept once read."""
    code = str(country or "").upper()
    if not code:
        return {}
    try:
        found = holidays.country_holidays(code, subdiv=subdivision or None, years=year)
    except NotImplementedError:
        return public_holidays(code, "", year) if subdivision else {}
    return dict(found.items())


def non_working_reason(
    day: date,
    *,
    country: str = "",
    subdivision: str = "",
    extra_non_working: NonWorkingDays = frozenset(),
) -> str | None:
    """Why `day` is not a working day ("Saturday", "public holiday: Christmas Day", ...), or
    None when it is one."""
    if day.weekday() == SATURDAY:
        return "Saturday"
    if day.weekday() == SUNDAY:
        return "Sunday"
    holiday = public_holidays(country, subdivision, day.year).get(day)
    if holiday:
        return f"public holiday: {holiday}"
    if day in extra_non_working:
        name = extra_non_working[day] if isinstance(extra_non_working, Mapping) else ""
        return f"non-working day: {name}" if name else "non-working day"
    return None


# --- periods of months ------------------------------------------------------------------------


def same_date_months_later(day: date, months: int) -> date:
    """The same date `months` later; a date the month lacks becomes its last (31 Jan + 1 month
    = 28 or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_day(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The last instant of `day` where `zone` is, in UTC: just before the next day starts there,
    so a day of 23 or 25 hours, or one whose midnight does not exist, ends where it should."""
    next_start = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return next_start.astimezone(UTC) - timedelta(microseconds=1)


@dataclass(frozen=True)
class MonthPeriod:
    """A period of months, and how its end was found."""

    received_on: date  # the local date of receipt, which does not count (Art. 3(1))
    nominal_last_day: date  # the same date in the last month, or its last day (Art. 3(2)(c))
    last_day: date  # after the Saturdays, Sundays and holidays it moved over (Art. 3(4))
    skipped: tuple[tuple[date, str], ...]  # each day moved over, and why
    end_at: datetime  # the end of the last day where the deadline runs, in UTC
    zone: zoneinfo.ZoneInfo


def month_period(
    *,
    received_at: datetime,
    months: int,
    zone: zoneinfo.ZoneInfo,
    country: str = "",
    subdivision: str = "",
    extra_non_working: NonWorkingDays = frozenset(),
) -> MonthPeriod:
    """The period of `months` months from a receipt at `received_at` (aware), as Regulation
    1182/71 counts it, with the public holidays of `country` (and `subdivision`) and the extra
    non-working days given."""
    if timezone.is_naive(received_at):
        raise ValueError("The receipt needs a time zone: pass an aware datetime.")
    if months < 0:
        raise ValueError("A period has zero or more months.")
    received_on = received_at.astimezone(zone).date()
    nominal = same_date_months_later(received_on, months)
    day, skipped = nominal, []
    # A long weekend and a run of holidays at most; a year of them is a broken calendar.
    for _ in range(366):
        reason = non_working_reason(
            day, country=country, subdivision=subdivision, extra_non_working=extra_non_working
        )
        if reason is None:
            break
        skipped.append((day, reason))
        day += timedelta(days=1)
    else:
        raise ValueError("No working day in the year after the period's last day.")
    return MonthPeriod(
        received_on=received_on,
        nominal_last_day=nominal,
        last_day=day,
        skipped=tuple(skipped),
        end_at=end_of_day(day, zone),
        zone=zone,
    )


def period_end(
    *,
    received_at: datetime,
    months: int,
    zone: zoneinfo.ZoneInfo,
    country: str = "",
    subdivision: str = "",
    extra_non_working: NonWorkingDays = frozenset(),
) -> datetime:
    """The deadline instant (UTC) of a period of months: see `month_period`."""
    return month_period(
        received_at=received_at,
        months=months,
        zone=zone,
        country=country,
        subdivision=subdivision,
        extra_non_working=extra_non_working,
    ).end_at


@dataclass(frozen=True)
class DeadlineCalendar:
    """Where a deadline runs: its zone, the country (and region) whose public holidays count,
    and the extra non-working days ({day: name})."""

    zone: zoneinfo.ZoneInfo
    country: str = ""
    subdivision: str = ""
    extra_non_working: Mapping[date, str] = field(default_factory=dict)

    def period(self, received_at: datetime, months: int) -> MonthPeriod:
        return month_period(
            received_at=received_at,
            months=months,
            zone=self.zone,
            country=self.country,
            subdivision=self.subdivision,
            extra_non_working=self.extra_non_working,
        )

    def end(self, received_at: datetime, months: int) -> datetime:
        return self.period(received_at, months).end_at


# --- the clock --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """A deadline at a moment.

    Days are calendar days where the deadline runs (`zone`): a deadline that ends a local day
    reads "due today" all through that day, whoever reads it and wherever. Hours are elapsed
    hours, for the clocks the law counts in hours (a breach's 72 hours).
    """

    due_at: datetime
    zone: tzinfo
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.now > self.due_at

    @property
    def left(self) -> timedelta:
        return self.due_at - self.now

    @property
    def due_on(self) -> date:
        return self.due_at.astimezone(self.zone).date()

    @property
    def days_left(self) -> int:
        """Calendar days from today to the due day, where the deadline runs; negative once the
        due day is over."""
        return (self.due_on - self.now.astimezone(self.zone).date()).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left) if self.overdue else 0

    def due_within(self, days: int) -> bool:
        """Not overdue, and `days` calendar days left or fewer (0: due today)."""
        return not self.overdue and self.days_left <= days

    @property
    def due_soon(self) -> bool:
        return self.due_within(DUE_SOON_DAYS)

    @property
    def hours_left(self) -> int:
        """Whole hours left (0: less than one); 0 once overdue."""
        return 0 if self.overdue else int(self.left // timedelta(hours=1))

    @property
    def hours_overdue(self) -> int:
        """Whole hours since the deadline (0: less than one, or not past it)."""
        return int(-self.left // timedelta(hours=1)) if self.overdue else 0

    def reached(self, thresholds: Iterable[tuple[str, timedelta]]) -> str | None:
        """The first (name, time before the deadline) whose moment has come, in the order given:
        [("missed", 0 h), ("1h", 1 h), ("12h", 12 h)] names the latest threshold reached."""
        for name, before in thresholds:
            if self.now >= self.due_at - before:
                return name
        return None

    @property
    def days_label(self) -> str:
        """ "3 days left", "due today", "2 days overdue"."""
        if self.overdue:
            days = self.days_overdue
            return f"{days} day{'s' if days != 1 else ''} overdue" if days else "overdue"
        days = self.days_left
        return f"{days} day{'s' if days != 1 else ''} left" if days else "due today"

    @property
    def hours_label(self) -> str:
        """ "13 h left", "less than 1 h left", "overdue by 5 h"."""
        if self.overdue:
            hours = self.hours_overdue
            return f"overdue by {hours} h" if hours else "overdue by less than 1 h"
        hours = self.hours_left
        return f"{hours} h left" if hours else "less than 1 h left"


def clock(*, due_at: datetime, zone: tzinfo, now: datetime | None = None) -> Clock:
    """The one clock: every door asks it how a deadline stands."""
    return Clock(due_at=due_at, zone=zone, now=now or timezone.now())


# --- instants written with their zone ---------------------------------------------------------


def zone_key(zone: tzinfo) -> str:
    """The IANA name of a zone ("Europe/Berlin")."""
    return str(getattr(zone, "key", None) or zone)


def format_instant(at: datetime, zone: tzinfo, *, zone_name: bool = False) -> str:
    """ "14 Mar 2026, 23:59 CET"; with `zone_name`, "14 Mar 2026, 23:59 CET (Europe/Berlin)"."""
    moment = at.astimezone(zone)
    text = f"{moment.day} {moment:%b %Y, %H:%M} {moment.tzname()}"
    return f"{text} ({zone_key(zone)})" if zone_name else text


def format_day(day: date) -> str:
    """ "Monday 2 Mar 2026"."""
    return f"{day:%A} {day.day} {day:%b %Y}"
