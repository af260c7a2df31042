/*
 * Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), in integers
 * only, for the RTC. The device never reads the wall clock; it only converts between its
 * registers and a count of seconds.
 */

/** A calendar date. */
export interface CivilDate {
  /** Full year (1970, 2025). */
  readonly year: number;
  /** Month, 1–12. */
  readonly month: number;
  /** Day of the month, 1–31. */
  readonly day: number;
}

/**
 * The day number of `year-month-day`. Out-of-range months and days are carried (month 13 is
 * January of the next year, day 0 the last day of the previous month), so any register
 * contents give a number.
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const m0 = month - 1;
  let y = year + Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400; // 0–399
  const dayOfYear = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5); // from March 1st
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468 + (day - 1);
}

/** The calendar date of day number `days`. */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097; // 0–146096
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Day of the week of day number `days`, 1 = Sunday … 7 = Saturday (the MC146818's numbering). */
export function dayOfWeek(days: number): number {
  // 1970-01-01 was a Thursday (5).
  return ((((days + 4) % 7) + 7) % 7) + 1;
}
