"""WTForms forms: fixed ones for accounts and enterprises, and answer forms built from questionnaires."""
