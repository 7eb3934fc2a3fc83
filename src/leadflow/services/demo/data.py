"""Word lists the demo world is drawn from: names, titles, company names, industries, places."""

from __future__ import annotations

from dataclasses import dataclass

FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Isabel", "Jonas",
    "Kara", "Liam", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tara",
    "Umar", "Vera", "Will", "Xenia", "Yusuf", "Zoe", "Aaron", "Bianca", "Carlos", "Dana",
    "Elena", "Felix", "Gemma", "Hannah", "Ivan", "Julia", "Kenji", "Laura", "Marco", "Nadia",
    "Oscar", "Priya", "Rafael", "Sofia", "Thomas", "Ursula", "Victor", "Wen", "Yara", "Zack",
    "Amelia", "Bruno", "Clara", "David", "Erik", "Fatima", "Georg", "Helena", "Ines", "Jack",
    "Lena", "Mateo", "Nora", "Owen", "Petra", "Ruth", "Sven", "Tomas", "Valeria", "Aisha",
)

LAST_NAMES = (
    "Lima", "Okafor", "Martin", "Garcia", "Schmidt", "Haddad", "Kim", "Tanaka", "Rossi",
    "Berg", "Novak", "Murphy", "Patel", "Nguyen", "Dubois", "Silva", "Walsh", "Costa",
    "Fischer", "Ahmed", "Johansson", "Kowalski", "Moreau", "Ortiz", "Chen", "Jensen",
    "Brown", "Wilson", "Taylor", "Anderson", "Thomas", "Moore", "Jackson", "White", "Harris",
    "Clark", "Lewis", "Young", "Hall", "Allen", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
    "Evans", "Edwards", "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook", "Bell",
    "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Lambert", "Fontaine", "Ferrari",
)

# (title, weight): more individual contributors and managers than executives.
JOB_TITLES = (
    ("Chief Executive Officer", 2), ("Chief Operating Officer", 2), ("Chief Financial Officer", 2),
    ("VP of Operations", 4), ("VP of Supply Chain", 3), ("VP of Sales", 3),
    ("Head of Procurement", 5), ("Director of Logistics", 5), ("Director of IT", 4),
    ("Operations Manager", 8), ("Supply Chain Manager", 8), ("Procurement Manager", 7),
    ("Warehouse Manager", 6), ("IT Manager", 5), ("Finance Manager", 4),
    ("Logistics Coordinator", 6), ("Buyer", 6), ("Operations Analyst", 5),
    ("Marketing Manager", 3), ("Office Manager", 3), ("Fleet Manager", 4),
)

# Company name stems, combined with an industry's suffixes into names such as "Bluepeak Foods".
COMPANY_STEMS = (
    "Acme", "Bluepeak", "Brightwater", "Cedar", "Cobalt", "Contoso", "Copperline", "Crescent",
    "Driftwood", "Evergreen", "Fabrikam", "Falcon", "Fernhill", "Fjord", "Foxglove", "Granite",
    "Harbor", "Helix", "Highland", "Ironbridge", "Juniper", "Keystone", "Kestrel", "Lakeside",
    "Litware", "Lumen", "Maple", "Meridian", "Northgate", "Oakridge", "Orion", "Pinnacle",
    "Polaris", "Quarry", "Redwood", "Riverbend", "Sable", "Saffron", "Silverline", "Solstice",
    "Summit", "Tailspin", "Terra", "Thistle", "Trident", "Union", "Vantage", "Verdant",
    "Wingtip", "Woodgrove", "Zephyr", "Alder", "Amberly", "Beacon", "Birchwood", "Calico",
    "Coho", "Delta", "Ember", "Fourth Coffee", "Glacier", "Halcyon", "Indigo", "Larkspur",
    "Margie's", "Nimbus", "Northwood", "Prairie", "Proseware", "Quill", "Rook", "Seaview",
    "Stonebrook", "Tidewater", "Upland", "Wildflower", "Adatum", "Bellows", "Canyon", "Dunmore",
)


@dataclass(frozen=True)
class Industry:
    """An industry, the suffixes its company names take, its size range and its web domain end."""

    name: str
    suffixes: tuple[str, ...]
    employees: tuple[int, int]
    revenue_per_employee: tuple[int, int]
    tld: str = "com"


INDUSTRIES = (
    Industry("Retail", ("Market", "Stores", "Outfitters", "Goods"), (40, 30000),
             (150_000, 400_000)),
    Industry("Food & Beverage", ("Foods", "Provisions", "Brewing", "Bakeries"), (20, 8000),
             (200_000, 600_000)),
    Industry("Hospitality", ("Hotels", "Resorts", "Hospitality"), (30, 12000), (80_000, 200_000)),
    Industry("Manufacturing", ("Manufacturing", "Industries", "Works", "Fabrication"),
             (50, 40000), (150_000, 450_000)),
    Industry("Logistics", ("Logistics", "Freight", "Shipping", "Transport"), (20, 25000),
             (120_000, 350_000)),
    Industry("Healthcare", ("Health", "Medical", "Clinics", "Pharma"), (30, 20000),
             (120_000, 300_000)),
    Industry("Software", ("Software", "Labs", "Analytics", "Cloud"), (10, 9000),
             (180_000, 500_000), tld="io"),
    Industry("Financial Services", ("Capital", "Bank", "Insurance", "Partners"), (20, 30000),
             (300_000, 900_000)),
    Industry("Construction", ("Construction", "Builders", "Engineering"), (20, 10000),
             (150_000, 350_000)),
    Industry("Energy", ("Energy", "Power", "Renewables"), (40, 20000), (400_000, 1_200_000)),
    Industry("Education", ("Academy", "Learning", "College"), (20, 6000), (60_000, 150_000),
             tld="org"),
    Industry("Media", ("Media", "Studios", "Publishing"), (10, 5000), (150_000, 400_000)),
)


@dataclass(frozen=True)
class Place:
    """A city with its state (US only), country code, sales territory and phone prefix."""

    city: str
    state: str | None
    country: str
    territory: str
    phone: str


PLACES = (
    Place("San Francisco", "CA", "US", "west", "+1 415 555"),
    Place("Los Angeles", "CA", "US", "west", "+1 213 555"),
    Place("San Diego", "CA", "US", "west", "+1 619 555"),
    Place("Seattle", "WA", "US", "west", "+1 206 555"),
    Place("Portland", "OR", "US", "west", "+1 503 555"),
    Place("Denver", "CO", "US", "west", "+1 303 555"),
    Place("Phoenix", "AZ", "US", "west", "+1 602 555"),
    Place("New York", "NY", "US", "east", "+1 212 555"),
    Place("Boston", "MA", "US", "east", "+1 617 555"),
    Place("Chicago", "IL", "US", "east", "+1 312 555"),
    Place("Atlanta", "GA", "US", "east", "+1 404 555"),
    Place("Philadelphia", "PA", "US", "east", "+1 215 555"),
    Place("Miami", "FL", "US", "east", "+1 305 555"),
    Place("Toronto", None, "CA", "east", "+1 416 555"),
    Place("London", None, "GB", "emea", "+44 20 7946"),
    Place("Manchester", None, "GB", "emea", "+44 161 496"),
    Place("Dublin", None, "IE", "emea", "+353 1 555"),
    Place("Berlin", None, "DE", "emea", "+49 30 5550"),
    Place("Munich", None, "DE", "emea", "+49 89 5550"),
    Place("Paris", None, "FR", "emea", "+33 1 5550"),
    Place("Amsterdam", None, "NL", "emea", "+31 20 555"),
    Place("Madrid", None, "ES", "emea", "+34 91 555"),
    Place("Stockholm", None, "SE", "emea", "+46 8 555"),
    Place("Zurich", None, "CH", "emea", "+41 44 555"),
)

# Free-mail domains: a few contacts fill in forms with a personal address and have no account.
PERSONAL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "proton.me")

# Free status labels people give leads in each stage.
STATUSES = {
    "nurture": (None, None, "Nurturing", "Newsletter only"),
    "sales_ready": ("New", "New", "Awaiting first call"),
    "accepted": ("Contacted", "Meeting booked", "Left voicemail"),
    "qualified": ("Discovery done", "Demo scheduled", "Budget confirmed"),
    "opportunity": ("Proposal sent", "Negotiation", "Security review"),
    "won": ("Closed won",),
    "lost": ("Closed lost - budget", "No decision", "Chose a competitor", "Not a fit"),
}
