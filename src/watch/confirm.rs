//! The first alarm waits for one more post-GC reading. A periodic batch whose
//! cycle drifts against the GC cadence can line up a few readings that climb
//! like a leak (each caught later into the batch's build-up); the reading after
//! them lands back near the old floor. A leak's next reading stays up, so a
//! real leak is delayed by one major GC only.

#[derive(Debug, Clone, PartialEq)]
struct Pending<V> {
    /// Time of the latest reading when the verdict was given.
    after_ms: f64,
    /// Halfway up the floor's rise: the next reading must reach it.
    threshold: f64,
    verdict: V,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation<V> {
    pending: Option<Pending<V>>,
}

impl<V> Default for Confirmation<V> {
    fn default() -> Self {
        Confirmation { pending: None }
    }
}

impl<V> Confirmation<V> {
    /// A pending verdict waits for the first reading taken after this time.
    pub fn waiting_after(&self) -> Option<f64> {
        self.pending.as_ref().map(|p| p.after_ms)
    }

    /// Settles a pending verdict with the first reading after it, once that
    /// has arrived: the verdict when the reading stays up, else nothing (and
    /// the verdict is dropped). Without a new reading the verdict stays
    /// pending, whatever the window says meanwhile.
    pub fn settle(&mut self, next: Option<f64>) -> Option<V> {
        let y = next?;
        let p = self.pending.take()?;
        (y >= p.threshold).then_some(p.verdict)
    }

    /// Drops a pending verdict that a wider view has since contradicted.
    pub fn withdraw(&mut self) {
        self.pending = None;
    }

    /// Holds a new "leak" verdict until the next reading; a verdict already
    /// pending is kept (the first one is what the next reading tests).
    pub fn propose(&mut self, after_ms: f64, threshold: f64, verdict: V) {
        if self.pending.is_none() {
            self.pending = Some(Pending {
                after_ms,
                threshold,
                verdict,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> Confirmation<&'static str> {
        let mut c = Confirmation::default();
        c.propose(5.0, 10.0, "first");
        c
    }

    #[test]
    fn a_verdict_waits_for_the_next_reading() {
        let mut c = pending();
        c.propose(6.0, 20.0, "second");
        assert_eq!(c.waiting_after(), Some(5.0));
        assert_eq!(c.settle(None), None);
        assert_eq!(c.waiting_after(), Some(5.0));
    }

    #[test]
    fn a_next_reading_that_stays_up_confirms_the_first_verdict() {
        let mut c = pending();
        assert_eq!(c.settle(Some(10.0)), Some("first"));
        assert_eq!(c.waiting_after(), None);
    }

    #[test]
    fn a_next_reading_back_near_the_old_floor_drops_the_verdict() {
        let mut c = pending();
        assert_eq!(c.settle(Some(9.9)), None);
        assert_eq!(c.waiting_after(), None);
        assert_eq!(Confirmation::<u8>::default().settle(Some(1.0)), None);
    }
}
