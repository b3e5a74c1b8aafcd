from setuptools import find_packages, setup

INSTALL_REQUIRES = [
    "alembic>=1.13,<2",
    "argon2-cffi>=23.1",
    "babel>=2.14",
    "huey>=2.5,<4",
    "icalendar>=6,<8",
    "itsdangerous>=2.1,<3",
    "jinja2>=3.1",
    "markdown-it-py>=3,<5",
    "nh3>=0.2.17",
    "plaster_pastedeploy>=1.0",
    "psycopg[binary]>=3.1,<4",
    "pygal>=3.0,<4",
    "pyramid>=2.0,<3",
    "pyramid_jinja2>=2.10",
    "pyramid_retry>=2.1",
    "pyramid_tm>=2.5",
    "redis>=5,<9",
    "segno>=1.6,<2",
    "sendgrid>=6.11,<7",
    # Pyramid 2.1 imports pkg_resources, which setuptools 81 deprecates and later releases drop.
    "setuptools>=68,<81",
    "sqlalchemy>=2.0.25,<2.2",
    "transaction>=4.0",
    # Certificates: laid out by WeasyPrint (PDF/A); people's lines set in fonts cut by fontTools;
    # the event's page read back with pypdf, whose streams' raw bytes (StreamObject._data)
    # events/pdf_files.py copies as they are: check it again before allowing pypdf 8.
    "fonttools>=4.40",
    "pillow>=10",
    "pypdf>=5,<8",
    "weasyprint>=66,<71",
    "waitress>=3.0",
    "wtforms>=3.3,<4",
    "zope.interface>=6",
    "zope.sqlalchemy>=3.1",
]

TEST_REQUIRES = [
    "axe-playwright-python>=0.1.4",
    # The registration benchmark and concurrency tests run the app under real worker processes.
    "gunicorn>=22",
    # Independent iCalendar parsers that check what the feeds write.
    "ical>=8",
    "openapi-schema-validator>=0.6",
    "openapi-spec-validator>=0.7",
    "playwright>=1.45",
    # Reads the certificates back: renders a page to find and decode its QR code.
    "pypdfium2>=4",
    "pytest>=8",
    "ruff>=0.5",
    "vobject>=0.9.7",
    "webtest>=3.0",
    "zxing-cpp>=2.2",
]

setup(
    name="dimoskopio",
    version="0.1.0",
    description="The innovation and entrepreneurship centre system of the Municipality of Heraklion",
    license="AGPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["dimoskopio*", "events*", "incubator*", "mailing*"]),
    include_package_data=True,
    zip_safe=False,
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": TEST_REQUIRES, "production": ["gunicorn>=22"]},
    entry_points={
        "paste.app_factory": ["main = dimoskopio:main"],
        "console_scripts": [
            "dimoskopio-initdb = dimoskopio.cli:initdb",
            "dimoskopio-seed = dimoskopio.cli:seed",
            "dimoskopio-admin = dimoskopio.cli:admin",
            "dimoskopio-worker = dimoskopio.cli:worker",
        ],
    },
)
