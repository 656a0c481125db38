#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// The questions the PKI asks of certificates, answered without throwing.
extension Certificate {
    /// The first common name of the subject, if it has one.
    var commonName: String? {
        for relativeName in subject {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }

    /// The serial number as lower-case hex, two digits a byte, no separators.
    var serialHex: String { Hex.encode(serialNumber.bytes) }

    /// The DER encoding.
    var derBytes: [UInt8] {
        var serializer = DER.Serializer()
        // A parsed or freshly built certificate always serialises.
        try! serializer.serialize(self)
        return serializer.serializedBytes
    }

    /// The PEM encoding (`-----BEGIN CERTIFICATE-----`).
    var pemString: String {
        PEMDocument(type: "CERTIFICATE", derBytes: derBytes).pemString
    }

    /// Whether `issuer` signed this certificate: its subject is this certificate's issuer and its key verifies the
    /// signature.
    func isSigned(by issuer: Certificate) -> Bool {
        self.issuer == issuer.subject && issuer.publicKey.isValidSignature(signature, for: self)
    }

    /// Whether this certificate names itself as issuer and its own key verifies its signature.
    var isSelfSigned: Bool { isSigned(by: self) }

    /// Whether `date` lies within the validity period.
    func isValid(at date: Date) -> Bool {
        notValidBefore <= date && date <= notValidAfter
    }

    /// Whether the extended key usage extension is present, parses, and lists `usage`.
    func allows(_ usage: ExtendedKeyUsage.Usage) -> Bool {
        guard let extendedKeyUsage = try? extensions.extendedKeyUsage else { return false }
        return extendedKeyUsage.contains(usage)
    }

    /// Whether basic constraints mark this certificate as a CA.
    var isCertificateAuthority: Bool {
        guard case .isCertificateAuthority = try? extensions.basicConstraints else { return false }
        return true
    }
}

extension Certificate {
    /// Parses exactly one PEM certificate; `source` names where the text came from, for the error.
    static func parse(pem: String, source: String) throws(PKIError) -> Certificate {
        do {
            return try Certificate(pemEncoded: pem)
        } catch {
            throw .invalidPEM(source: source, reason: "not a PEM certificate (\(error))")
        }
    }

    /// Parses one or more concatenated PEM certificates, in order.
    static func parseChain(pem: String, source: String) throws(PKIError) -> [Certificate] {
        do {
            let certificates = try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
            guard !certificates.isEmpty else {
                throw PKIError.invalidPEM(source: source, reason: "no certificate in it")
            }
            return certificates
        } catch let error as PKIError {
            throw error
        } catch {
            throw .invalidPEM(source: source, reason: "not a PEM certificate chain (\(error))")
        }
    }
}
