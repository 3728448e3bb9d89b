//! `twilio-token mint --spec FILE`: any token type from a JSON spec.

use crate::Failure;

/// Arguments of `mint`.
#[derive(clap::Args)]
pub struct Args {
    /// The spec: a JSON file, or - for standard input (see the library's `spec` module).
    #[arg(long, value_name = "FILE")]
    spec: String,
}

/// Prints the token alone on stdout.
pub fn run(args: Args) -> Result<(), Failure> {
    let spec = super::read_input(&args.spec, "the spec")?;
    let token = twilio_token::spec::mint(&spec)?;
    println!("{token}");
    Ok(())
}
