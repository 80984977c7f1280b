// The migrations (`embed_migrations!`) and the MongoDB spec files (`include_dir!`) are built
// into the binary; rebuild when either folder changes.
fn main() {
    println!("cargo:rerun-if-changed=diesel_migrations");
    println!("cargo:rerun-if-changed=mongo_indexes");
}
