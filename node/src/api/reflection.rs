//! Server reflection on the local port (`grpcurl list`), describing what
//! that port serves and nothing else: the officers' service, health, and
//! reflection itself. The federation service, served on the other port to
//! peer nodes only, is neither listed nor described here.

use prost::Message;
use tonic_reflection::server::Error;

/// The one protocol file that only the federation port serves.
const FEDERATION_ONLY: &str = "iti/v1/federation.proto";

/// The services the local port serves, as reflection names them.
pub const LOCAL_PORT_SERVICES: [&str; 3] = [
    "iti.v1.Local",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
];

/// The reflection service for the local port.
pub fn local_port() -> Result<
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    Error,
> {
    let mut iti = prost_types::FileDescriptorSet::decode(iti_proto::v1::FILE_DESCRIPTOR_SET)
        .map_err(Error::DecodeError)?;
    iti.file.retain(|f| f.name() != FEDERATION_ONLY);
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_file_descriptor_set(iti)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    for service in LOCAL_PORT_SERVICES {
        builder = builder.with_service_name(service);
    }
    builder.build_v1()
}
