"""The WSDL of the labour web service in the shape 1C generates (document/literal wrapped).

Names follow onec-protocol.md §2: ``<Op>RequestMessage``/``<Op>ResponseMessage`` with part
``parameters``, ``TimeTrackingPortType``, ``TimeTrackingSoapBinding``/``TimeTrackingSoap12Binding``,
``soapAction="<ns>#TimeTracking:<Op>"``, ports ``TimeTrackingSoap``/``TimeTrackingSoap12``.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

NS = "http://onec-bridge.local/timetracking"
SERVICE = "TimeTracking"
OPERATIONS = ("PutLabour", "GetLabour")

_TYPES = """
    <xs:complexType name="LabourRow">
     <xs:sequence>
      <xs:element name="RowKey" type="xs:string"/>
      <xs:element name="Employee" type="xs:string"/>
      <xs:element name="ObjectType" type="xs:string"/>
      <xs:element name="Object" type="xs:string"/>
      <xs:element name="WorkDate" type="xs:date"/>
      <xs:element name="WorkType" type="xs:string"/>
      <xs:element name="Minutes" type="xs:int"/>
      <xs:element name="Billable" type="xs:boolean"/>
      <xs:element name="Comment" type="xs:string" minOccurs="0"/>
      <xs:element name="EvidenceUrl" type="xs:string" minOccurs="0"/>
     </xs:sequence>
    </xs:complexType>
    <xs:complexType name="LabourBatch">
     <xs:sequence>
      <xs:element name="BatchId" type="xs:string"/>
      <xs:element name="Row" type="tns:LabourRow" minOccurs="0" maxOccurs="unbounded"/>
     </xs:sequence>
    </xs:complexType>
    <xs:complexType name="RowResult">
     <xs:sequence>
      <xs:element name="RowKey" type="xs:string"/>
      <xs:element name="Status" type="xs:string"/>
      <xs:element name="Message" type="xs:string"/>
     </xs:sequence>
    </xs:complexType>
    <xs:complexType name="LabourResult">
     <xs:sequence>
      <xs:element name="Row" type="tns:RowResult" minOccurs="0" maxOccurs="unbounded"/>
     </xs:sequence>
    </xs:complexType>
    <xs:complexType name="LabourRows">
     <xs:sequence>
      <xs:element name="Row" type="tns:LabourRow" minOccurs="0" maxOccurs="unbounded"/>
     </xs:sequence>
    </xs:complexType>
    <xs:element name="PutLabour">
     <xs:complexType>
      <xs:sequence>
       <xs:element name="Batch" type="tns:LabourBatch"/>
      </xs:sequence>
     </xs:complexType>
    </xs:element>
    <xs:element name="PutLabourResponse">
     <xs:complexType>
      <xs:sequence>
       <xs:element name="return" type="tns:LabourResult"/>
      </xs:sequence>
     </xs:complexType>
    </xs:element>
    <xs:element name="GetLabour">
     <xs:complexType>
      <xs:sequence>
       <xs:element name="From" type="xs:date"/>
       <xs:element name="To" type="xs:date"/>
       <xs:element name="Employee" type="xs:string" minOccurs="0" nillable="true"/>
      </xs:sequence>
     </xs:complexType>
    </xs:element>
    <xs:element name="GetLabourResponse">
     <xs:complexType>
      <xs:sequence>
       <xs:element name="return" type="tns:LabourRows"/>
      </xs:sequence>
     </xs:complexType>
    </xs:element>"""


def _binding(name: str, prefix: str) -> str:
    ops = "".join(
        f"""
  <operation name="{op}">
   <{prefix}:operation style="document" soapAction="{NS}#{SERVICE}:{op}"/>
   <input><{prefix}:body use="literal"/></input>
   <output><{prefix}:body use="literal"/></output>
  </operation>"""
        for op in OPERATIONS
    )
    return f"""
 <binding name="{name}" type="tns:{SERVICE}PortType">
  <{prefix}:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>{ops}
 </binding>"""


def wsdl(location: str) -> bytes:
    """The WSDL document with both ports bound to ``location``."""
    messages = "".join(
        f"""
 <message name="{op}{kind}Message">
  <part name="parameters" element="tns:{op}{"Response" if kind == "Response" else ""}"/>
 </message>"""
        for op in OPERATIONS
        for kind in ("Request", "Response")
    )
    port_ops = "".join(
        f"""
  <operation name="{op}">
   <input message="tns:{op}RequestMessage"/>
   <output message="tns:{op}ResponseMessage"/>
  </operation>"""
        for op in OPERATIONS
    )
    loc = quoteattr(location)
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap12bind="http://schemas.xmlsoap.org/wsdl/soap12/"
  xmlns:soapbind="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:tns="{NS}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsd1="{NS}"
  name="{SERVICE}" targetNamespace="{NS}">
 <types>
  <xs:schema xmlns:tns="{NS}" xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}"
    attributeFormDefault="unqualified" elementFormDefault="qualified">{_TYPES}
  </xs:schema>
 </types>{messages}
 <portType name="{SERVICE}PortType">{port_ops}
 </portType>{_binding(SERVICE + "SoapBinding", "soapbind")}{_binding(SERVICE + "Soap12Binding", "soap12bind")}
 <service name="{SERVICE}">
  <port name="{SERVICE}Soap" binding="tns:{SERVICE}SoapBinding">
   <documentation/>
   <soapbind:address location={loc}/>
  </port>
  <port name="{SERVICE}Soap12" binding="tns:{SERVICE}Soap12Binding">
   <documentation/>
   <soap12bind:address location={loc}/>
  </port>
 </service>
</definitions>
"""
    return text.encode("utf-8")
