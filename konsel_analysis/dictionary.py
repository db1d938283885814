"""The one data dictionary: every column the toolkit reads or writes.

Each :class:`Column` gives the name, type, unit, allowed values or range and a
short description in English and Bahasa Indonesia. Schemas, report labels and
the documentation are derived from here; no other module spells a column's
range or label. Names carry units (``consumption_pc_month_idr``), booleans read
as ``is_``/``has_``, counts start with ``n_``.

>>> from konsel_analysis.dictionary import column, label
>>> column("floor_area_m2").unit
'm2'
>>> label("consumption_pc_month_idr", "id")
'Pengeluaran per kapita per bulan (Rp)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Dtype = Literal["string", "int", "float", "bool", "category"]
Language = Literal["id", "en"]

KECAMATAN_CODE_PATTERN = r"^74\.05\.\d{2}$"
VILLAGE_CODE_PATTERN = r"^74\.05\.\d{2}\.[12]\d{3}$"
NIK_PATTERN = r"^\d{16}$"


@dataclass(frozen=True)
class Column:
    """One column of the toolkit's tables."""

    name: str
    dtype: Dtype
    unit: str | None
    description_en: str
    description_id: str
    label_id: str
    label_en: str
    minimum: float | None = None
    maximum: float | None = None
    # For categoricals: code -> (English label, Indonesian label), ordered poorest first.
    categories: dict[str, tuple[str, str]] = field(default_factory=dict)
    pattern: str | None = None
    is_personal: bool = False
    nullable: bool = False

    def label(self, language: Language = "id") -> str:
        text = self.label_id if language == "id" else self.label_en
        return f"{text} ({_UNIT_SUFFIX[self.unit]})" if self.unit in _UNIT_SUFFIX else text

    def category_label(self, code: str, language: Language = "id") -> str:
        en, id_ = self.categories[code]
        return id_ if language == "id" else en


_UNIT_SUFFIX = {"IDR per capita per month": "Rp", "m2": "m²", "ha": "ha"}


def _bool(name: str, en: str, id_: str, label_en: str, label_id: str) -> Column:
    return Column(name, "bool", None, en, id_, label_id, label_en)


def _count(name: str, en: str, id_: str, label_en: str, label_id: str, maximum: int) -> Column:
    return Column(name, "int", "persons", en, id_, label_id, label_en, minimum=0, maximum=maximum)


_COLUMNS: list[Column] = [
    # --- identifiers and geography -------------------------------------------------
    Column(
        "household_id",
        "string",
        None,
        "Household identifier within its table (register or survey); not the KK number.",
        "Pengenal rumah tangga di tabelnya (register atau survei); bukan nomor KK.",
        "ID rumah tangga",
        "Household ID",
    ),
    Column(
        "nik_head",
        "string",
        None,
        "National identity number (NIK) of the household head: personal data.",
        "Nomor Induk Kependudukan kepala rumah tangga: data pribadi.",
        "NIK kepala rumah tangga",
        "NIK of head",
        pattern=NIK_PATTERN,
        is_personal=True,
    ),
    Column(
        "name_head",
        "string",
        None,
        "Name of the household head: personal data.",
        "Nama kepala rumah tangga: data pribadi.",
        "Nama kepala rumah tangga",
        "Name of head",
        is_personal=True,
    ),
    Column(
        "kecamatan_code",
        "string",
        None,
        "Kemendagri code of the kecamatan (74.05.NN).",
        "Kode Kemendagri kecamatan (74.05.NN).",
        "Kode kecamatan",
        "Kecamatan code",
        pattern=KECAMATAN_CODE_PATTERN,
    ),
    Column(
        "village_code",
        "string",
        None,
        "Kemendagri code of the desa (74.05.NN.2xxx) or kelurahan (74.05.NN.1xxx); "
        "the survey's cluster.",
        "Kode Kemendagri desa (74.05.NN.2xxx) atau kelurahan (74.05.NN.1xxx); klaster survei.",
        "Kode desa/kelurahan",
        "Village code",
        pattern=VILLAGE_CODE_PATTERN,
    ),
    _bool(
        "is_urban",
        "Urban area (BPS classification).",
        "Daerah perkotaan (klasifikasi BPS).",
        "Urban",
        "Perkotaan",
    ),
    # --- household composition ------------------------------------------------------
    Column(
        "household_size",
        "int",
        "persons",
        "Number of household members.",
        "Jumlah anggota rumah tangga.",
        "Jumlah anggota rumah tangga",
        "Household size",
        minimum=1,
        maximum=25,
    ),
    _count(
        "n_members_age_0_6",
        "Members aged 0-6 (PKH early-childhood component).",
        "Anggota berumur 0-6 tahun (komponen anak usia dini PKH).",
        "Members aged 0-6",
        "Anggota umur 0-6",
        12,
    ),
    _count(
        "n_members_primary_school",
        "Members in primary school (SD).",
        "Anggota yang bersekolah SD.",
        "Primary pupils",
        "Anggota bersekolah SD",
        12,
    ),
    _count(
        "n_members_junior_secondary",
        "Members in junior secondary school (SMP).",
        "Anggota yang bersekolah SMP.",
        "Junior secondary pupils",
        "Anggota bersekolah SMP",
        12,
    ),
    _count(
        "n_members_senior_secondary",
        "Members in senior secondary school (SMA/SMK).",
        "Anggota yang bersekolah SMA/SMK.",
        "Senior secondary pupils",
        "Anggota bersekolah SMA/SMK",
        12,
    ),
    _count(
        "n_members_age_70_plus",
        "Members aged 70 or more.",
        "Anggota berumur 70 tahun ke atas.",
        "Members aged 70+",
        "Anggota umur 70+",
        6,
    ),
    _count(
        "n_members_severe_disability",
        "Members with a severe disability.",
        "Anggota dengan disabilitas berat.",
        "Members with severe disability",
        "Anggota disabilitas berat",
        6,
    ),
    _bool(
        "has_pregnant_member",
        "A member is pregnant.",
        "Ada anggota yang sedang hamil.",
        "Pregnant member",
        "Ada ibu hamil",
    ),
    # --- household head --------------------------------------------------------------
    Column(
        "head_age_years",
        "int",
        "years",
        "Age of the household head.",
        "Umur kepala rumah tangga.",
        "Umur kepala rumah tangga",
        "Age of head",
        minimum=15,
        maximum=100,
    ),
    _bool(
        "is_head_female",
        "The household head is a woman.",
        "Kepala rumah tangga perempuan.",
        "Female head",
        "Kepala rumah tangga perempuan",
    ),
    _bool(
        "is_head_married",
        "The household head is married.",
        "Kepala rumah tangga berstatus kawin.",
        "Married head",
        "Kepala rumah tangga kawin",
    ),
    _bool(
        "is_head_disabled",
        "The household head has a disability.",
        "Kepala rumah tangga penyandang disabilitas.",
        "Head with disability",
        "Kepala rumah tangga disabilitas",
    ),
    Column(
        "head_education",
        "category",
        None,
        "Highest schooling completed by the head.",
        "Pendidikan tertinggi yang ditamatkan kepala rumah tangga.",
        "Pendidikan kepala rumah tangga",
        "Education of head",
        categories={
            "none": ("no schooling completed", "tidak tamat SD"),
            "primary": ("primary school", "SD/sederajat"),
            "junior_secondary": ("junior secondary", "SMP/sederajat"),
            "senior_secondary": ("senior secondary", "SMA/SMK/sederajat"),
            "tertiary": ("diploma or degree", "diploma/sarjana"),
        },
    ),
    Column(
        "head_sector",
        "category",
        None,
        "Main sector of work of the household head.",
        "Lapangan usaha utama kepala rumah tangga.",
        "Lapangan usaha kepala rumah tangga",
        "Sector of head",
        categories={
            "agriculture": ("farming, plantation, forestry", "pertanian, perkebunan, kehutanan"),
            "fishery": ("fishing and aquaculture", "perikanan"),
            "not_working": ("not working", "tidak bekerja"),
            "industry_construction": (
                "industry, mining, construction",
                "industri, tambang, konstruksi",
            ),
            "trade_services": ("trade and services", "perdagangan dan jasa"),
            "formal_public": ("civil service, formal employee", "PNS/TNI/Polri, pegawai tetap"),
        },
    ),
    Column(
        "max_education_years",
        "int",
        "years",
        "Most years of schooling of any household member.",
        "Lama sekolah tertinggi di antara anggota rumah tangga.",
        "Lama sekolah tertinggi anggota",
        "Most years of schooling in household",
        minimum=0,
        maximum=20,
    ),
    # --- housing -------------------------------------------------------------------
    Column(
        "floor_area_m2",
        "float",
        "m2",
        "Floor area of the dwelling.",
        "Luas lantai rumah.",
        "Luas lantai",
        "Floor area",
        minimum=4,
        maximum=1000,
    ),
    Column(
        "floor_material",
        "category",
        None,
        "Main floor material.",
        "Jenis lantai terluas.",
        "Jenis lantai",
        "Floor material",
        categories={
            "earth": ("earth floor", "lantai tanah"),
            "wood_bamboo": ("wood or bamboo floor", "lantai kayu/bambu"),
            "cement": ("cement floor", "lantai semen"),
            "ceramic": ("ceramic tile floor", "lantai keramik"),
        },
    ),
    Column(
        "wall_material",
        "category",
        None,
        "Main wall material.",
        "Jenis dinding terluas.",
        "Jenis dinding",
        "Wall material",
        categories={
            "bamboo_thatch": ("bamboo or thatch walls", "dinding bambu/anyaman"),
            "wood": ("wooden walls", "dinding kayu/papan"),
            "brick_plaster": ("plastered brick walls", "dinding tembok"),
        },
    ),
    Column(
        "roof_material",
        "category",
        None,
        "Main roof material.",
        "Jenis atap terluas.",
        "Jenis atap",
        "Roof material",
        categories={
            "thatch_leaf": ("thatch or palm-leaf roof", "atap rumbia/daun"),
            "zinc_metal": ("zinc roof", "atap seng"),
            "tile_concrete": ("tile or concrete roof", "atap genteng/beton"),
        },
    ),
    Column(
        "water_source",
        "category",
        None,
        "Main source of drinking water.",
        "Sumber air minum utama.",
        "Sumber air minum",
        "Drinking water",
        categories={
            "unprotected": (
                "unprotected well, spring or river",
                "sumur/mata air tak terlindung, sungai",
            ),
            "protected_well": ("protected well or spring", "sumur/mata air terlindung"),
            "piped_bottled": ("piped or bottled water", "air ledeng/kemasan"),
        },
    ),
    Column(
        "toilet_facility",
        "category",
        None,
        "Toilet used by the household.",
        "Fasilitas buang air besar.",
        "Fasilitas BAB",
        "Toilet",
        categories={
            "none": ("no toilet", "tidak ada"),
            "shared": ("shared or public toilet", "bersama/umum"),
            "private": ("private toilet", "milik sendiri"),
        },
    ),
    Column(
        "lighting_source",
        "category",
        None,
        "Main source of lighting.",
        "Sumber penerangan utama.",
        "Sumber penerangan",
        "Lighting",
        categories={
            "non_electric": ("no electricity", "bukan listrik"),
            "electric_non_pln": ("non-PLN electricity", "listrik non-PLN"),
            "pln_shared": ("PLN electricity without own meter", "listrik PLN tanpa meteran"),
            "pln_metered": ("PLN electricity with own meter", "listrik PLN dengan meteran"),
        },
    ),
    Column(
        "cooking_fuel",
        "category",
        None,
        "Main cooking fuel.",
        "Bahan bakar utama memasak.",
        "Bahan bakar memasak",
        "Cooking fuel",
        categories={
            "wood_charcoal": ("firewood or charcoal", "kayu bakar/arang"),
            "kerosene": ("kerosene", "minyak tanah"),
            "lpg_3kg": ("subsidised 3 kg LPG", "elpiji 3 kg"),
            "lpg_large_electric": (
                "large LPG cylinder or electricity",
                "elpiji 5,5 kg ke atas/listrik",
            ),
        },
    ),
    Column(
        "home_ownership",
        "category",
        None,
        "Tenure of the dwelling.",
        "Status kepemilikan bangunan tempat tinggal.",
        "Status tempat tinggal",
        "Home ownership",
        categories={
            "rent_free": ("lives rent-free or in a family house", "bebas sewa/rumah keluarga"),
            "rented": ("rented", "kontrak/sewa"),
            "owned": ("owned", "milik sendiri"),
        },
    ),
    # --- assets --------------------------------------------------------------------
    _bool(
        "has_refrigerator",
        "Owns a refrigerator.",
        "Memiliki lemari es.",
        "Refrigerator",
        "Lemari es",
    ),
    _bool(
        "has_gas_cylinder",
        "Owns a gas cylinder of 5.5 kg or more.",
        "Memiliki tabung gas 5,5 kg atau lebih.",
        "Gas cylinder 5.5 kg+",
        "Tabung gas 5,5 kg+",
    ),
    _bool("has_television", "Owns a television.", "Memiliki televisi.", "Television", "Televisi"),
    _bool(
        "has_motorcycle",
        "Owns a motorcycle.",
        "Memiliki sepeda motor.",
        "Motorcycle",
        "Sepeda motor",
    ),
    _bool("has_car", "Owns a car.", "Memiliki mobil.", "Car", "Mobil"),
    _bool("has_boat", "Owns a motor boat.", "Memiliki perahu motor.", "Motor boat", "Perahu motor"),
    Column(
        "n_cattle",
        "int",
        "head",
        "Cattle owned.",
        "Jumlah sapi yang dimiliki.",
        "Jumlah sapi",
        "Cattle",
        minimum=0,
        maximum=500,
    ),
    Column(
        "n_goats",
        "int",
        "head",
        "Goats owned.",
        "Jumlah kambing yang dimiliki.",
        "Jumlah kambing",
        "Goats",
        minimum=0,
        maximum=500,
    ),
    Column(
        "land_area_ha",
        "float",
        "ha",
        "Agricultural land owned.",
        "Luas lahan pertanian milik.",
        "Luas lahan",
        "Land owned",
        minimum=0,
        maximum=500,
    ),
    # --- programmes ----------------------------------------------------------------
    _bool(
        "is_pkh_recipient",
        "Receives PKH (conditional cash transfer).",
        "Penerima PKH (Program Keluarga Harapan).",
        "PKH recipient",
        "Penerima PKH",
    ),
    _bool(
        "is_bpnt_recipient",
        "Receives BPNT / Program Sembako.",
        "Penerima BPNT/Program Sembako.",
        "BPNT recipient",
        "Penerima BPNT",
    ),
    _bool(
        "is_pbi_jk_recipient",
        "Health insurance premium paid by the state (PBI-JK).",
        "Peserta PBI-JK (iuran JKN dibayar pemerintah).",
        "PBI-JK member",
        "Peserta PBI-JK",
    ),
    _bool(
        "is_blt_dd_recipient",
        "Receives BLT Dana Desa.",
        "Penerima BLT Dana Desa.",
        "BLT-DD recipient",
        "Penerima BLT-DD",
    ),
    Column(
        "desil",
        "int",
        "decile",
        "DTSEN welfare desil of the household (1 = poorest tenth).",
        "Desil kesejahteraan DTSEN (1 = sepersepuluh termiskin).",
        "Desil DTSEN",
        "DTSEN desil",
        minimum=1,
        maximum=10,
    ),
    # --- survey only ---------------------------------------------------------------
    Column(
        "design_weight",
        "float",
        "households",
        "Survey design weight: households in the population this household stands for.",
        "Penimbang rancangan survei: jumlah rumah tangga populasi yang diwakili.",
        "Penimbang",
        "Design weight",
        minimum=0,
        maximum=1e7,
    ),
    Column(
        "consumption_pc_month_idr",
        "float",
        "IDR per capita per month",
        "Household consumption expenditure per capita per month.",
        "Pengeluaran rumah tangga per kapita per bulan.",
        "Pengeluaran per kapita per bulan",
        "Consumption per capita per month",
        minimum=0,
        maximum=1e9,
    ),
    # --- truth only ----------------------------------------------------------------
    _bool(
        "is_poor",
        "Consumption per capita below the poverty line.",
        "Pengeluaran per kapita di bawah garis kemiskinan.",
        "Poor",
        "Miskin",
    ),
    _bool(
        "is_extreme_poor",
        "Consumption per capita below the extreme poverty line.",
        "Pengeluaran per kapita di bawah garis kemiskinan ekstrem.",
        "Extreme poor",
        "Miskin ekstrem",
    ),
]

COLUMNS: dict[str, Column] = {c.name: c for c in _COLUMNS}

#: Proxies a PMT may use: observable in both the register and the survey.
PROXY_NUMERIC = (
    "household_size",
    "n_members_age_0_6",
    "n_members_primary_school",
    "n_members_junior_secondary",
    "n_members_senior_secondary",
    "n_members_age_70_plus",
    "n_members_severe_disability",
    "head_age_years",
    "max_education_years",
    "floor_area_m2",
    "n_cattle",
    "n_goats",
    "land_area_ha",
)
PROXY_BOOLEAN = (
    "is_urban",
    "has_pregnant_member",
    "is_head_female",
    "is_head_married",
    "is_head_disabled",
    "has_refrigerator",
    "has_gas_cylinder",
    "has_television",
    "has_motorcycle",
    "has_car",
    "has_boat",
)
PROXY_CATEGORICAL = (
    "head_education",
    "head_sector",
    "floor_material",
    "wall_material",
    "roof_material",
    "water_source",
    "toilet_facility",
    "lighting_source",
    "cooking_fuel",
    "home_ownership",
)
PROGRAM_FLAGS = (
    "is_pkh_recipient",
    "is_bpnt_recipient",
    "is_pbi_jk_recipient",
    "is_blt_dd_recipient",
)
#: The cash programmes whose beneficiaries (KPM) are re-verified; PBI-JK (health
#: insurance for a third of households) and BLT-DD (desa only) are left out of
#: "beneficiary" in the targeting outputs.
REVERIFIED_PROGRAM_FLAGS = ("is_pkh_recipient", "is_bpnt_recipient")
_GEOGRAPHY = ("kecamatan_code", "village_code")
_PROXIES = PROXY_NUMERIC + PROXY_BOOLEAN + PROXY_CATEGORICAL

#: Columns of each table the toolkit reads or writes, in file order.
TABLES: dict[str, tuple[str, ...]] = {
    "register": (
        "household_id",
        "nik_head",
        "name_head",
        *_GEOGRAPHY,
        *_PROXIES,
        *PROGRAM_FLAGS,
        "desil",
    ),
    "survey": (
        "household_id",
        *_GEOGRAPHY,
        "design_weight",
        *_PROXIES,
        "consumption_pc_month_idr",
        *PROGRAM_FLAGS,
    ),
    "register_truth": ("household_id", "consumption_pc_month_idr", "is_poor", "is_extreme_poor"),
}

PERSONAL_COLUMNS = tuple(c.name for c in _COLUMNS if c.is_personal)


def column(name: str) -> Column:
    """The dictionary entry of one column."""
    try:
        return COLUMNS[name]
    except KeyError:
        raise KeyError(f"column {name!r} is not in the data dictionary") from None


def columns_of(table: str) -> list[Column]:
    """The dictionary entries of a table's columns, in file order."""
    return [COLUMNS[name] for name in TABLES[table]]


def label(name: str, language: Language = "id") -> str:
    """A column's human label for reports, in Bahasa Indonesia by default."""
    return column(name).label(language)


def to_markdown(language: Language = "en") -> str:
    """The dictionary as a Markdown table (for docs/data_dictionary.md)."""
    lines = [
        "| column | type | unit | allowed | description | deskripsi |",
        "|---|---|---|---|---|---|",
    ]
    for c in _COLUMNS:
        if c.categories:
            allowed = ", ".join(f"`{k}`" for k in c.categories)
        elif c.minimum is not None or c.maximum is not None:
            allowed = f"{c.minimum:g} to {c.maximum:g}"
        elif c.pattern:
            allowed = f"`{c.pattern}`"
        else:
            allowed = "0/1" if c.dtype == "bool" else ""
        personal = " **Personal data.**" if c.is_personal else ""
        lines.append(
            f"| `{c.name}` | {c.dtype} | {c.unit or ''} | {allowed} | "
            f"{c.description_en}{personal} | {c.description_id} |"
        )
    return "\n".join(lines) + "\n"
