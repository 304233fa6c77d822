//! The coded error of the growth core, mapped to JS once (src/js/error.rs).

/// An option the measurement cannot run with; its code is
/// `ERR_LEAKWATCH_INVALID_OPTION`, its message names the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrowthError {
    pub message: String,
}

impl GrowthError {
    /// `invalid option <name>: <why>`, the wording of every option error.
    pub fn invalid_option(name: &str, why: &str) -> Self {
        GrowthError {
            message: format!("invalid option {name}: {why}"),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        "ERR_LEAKWATCH_INVALID_OPTION"
    }
}

impl std::fmt::Display for GrowthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GrowthError {}
