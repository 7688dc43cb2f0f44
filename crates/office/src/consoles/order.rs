//! The Order's console: an Order's roll, members, compliance, diffide,
//! INI-PEC and ReGIndE exports and conventions, for its secretariat and the
//! provider's operators.
