"""Claims under the compulsory motor insurance (交强险) rules and the insurer linkage."""
