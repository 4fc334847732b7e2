"""Damage assessment (定损): routing settled reports to adjusters and coordinators, their tasks, SLA timers and
assessment records. It consumes what accident and claims publish; nothing below it imports it."""
