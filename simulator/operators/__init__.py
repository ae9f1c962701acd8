"""How the CSMS under test is asked to act ("Manual Action" steps): the operator modes
(``operator``), the actions a step asks for with the request each makes the CSMS send
(``actions``) and the README's examples taken from a real run (``examples``). May import
``verdicts`` and ``wire``; never the station, so the station and its states can use the actions."""
