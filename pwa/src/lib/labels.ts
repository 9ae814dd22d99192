/** Code lists of the domain (labels live in the i18n files). */
export const RECIPIENT_CATEGORIES = [
  'martyr_family', 'duty_death_family', 'illness_death_family', 'disabled_veteran', 'demobilized', 'sick_returned',
  'war_or_test_veteran', 'active_family', 'retired_cadre', 'veteran', 'other',
] as const
export const VISIT_KINDS = ['festival', 'routine', 'hardship', 'birthday', 'hospital', 'other'] as const
export const DIFFICULTY_CATEGORIES = ['living', 'housing', 'medical', 'employment', 'education', 'legal', 'psychological', 'other'] as const
export const URGENCIES = ['normal', 'urgent'] as const
export const DIFFICULTY_STATUSES = ['open', 'in_progress', 'resolved'] as const
